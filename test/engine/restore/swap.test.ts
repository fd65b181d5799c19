/**
 * The final swap of a restore (swap.ts) over an in-memory file system whose renames fail on
 * cue: all new files in place or every old one back, and when even putting back fails, an
 * error that says where each file is.
 */
import { describe, expect, it } from 'vitest';
import { commitSwaps, type SwapOps } from '../../../electron/engine/restore/swap.js';

/** Files by path with their content; `failAt` names the renames (1-based) that fail. */
function memoryFs(files: Record<string, string>, failAt: readonly number[] = []) {
  const fs = new Map(Object.entries(files));
  let renames = 0;
  const ops: SwapOps = {
    rename: async (from, to) => {
      if (failAt.includes(++renames)) throw new Error(`EIO renaming ${from}`);
      if (!fs.has(from)) throw new Error(`ENOENT ${from}`);
      fs.set(to, fs.get(from)!);
      fs.delete(from);
    },
    remove: async (file) => void fs.delete(file),
    exists: async (file) => fs.has(file),
  };
  /** The files, with the random part of hidden names replaced by "*". */
  const listing = (): Record<string, string> =>
    Object.fromEntries(
      [...fs.entries()]
        .map(([name, content]) => [name.replace(/-[0-9a-f]{8}$/, '-*'), content] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  return { ops, listing };
}

const swaps = [
  { temp: '/vm/.a.restoring', target: '/vm/a' },
  { temp: '/vm/.b.restoring', target: '/vm/b' },
];

describe('commitSwaps', () => {
  it('puts every new file in place and deletes the replaced ones', async () => {
    const { ops, listing } = memoryFs({
      '/vm/a': 'old a',
      '/vm/.a.restoring': 'new a',
      '/vm/.b.restoring': 'new b',
    });
    expect(await commitSwaps(swaps, ops)).toEqual({ replaced: ['/vm/a'], leftovers: [] });
    expect(listing()).toEqual({ '/vm/a': 'new a', '/vm/b': 'new b' });
  });

  it('a failed rename half-way puts the old files back and removes the new ones', async () => {
    // 1: a aside, 2: new a in, 3: b aside, 4: new b in (fails).
    const { ops, listing } = memoryFs(
      {
        '/vm/a': 'old a',
        '/vm/b': 'old b',
        '/vm/.a.restoring': 'new a',
        '/vm/.b.restoring': 'new b',
      },
      [4],
    );
    await expect(commitSwaps(swaps, ops)).rejects.toThrow(
      'could not put /vm/b in place (EIO renaming /vm/.b.restoring); every file is back as it was before the restore',
    );
    expect(listing()).toEqual({ '/vm/a': 'old a', '/vm/b': 'old b' });
  });

  it('when putting back fails too, the error says where each file is', async () => {
    // 4 fails (new b in); 5 puts old b back; 6 (new a out) fails, so old a stays aside.
    const { ops, listing } = memoryFs(
      {
        '/vm/a': 'old a',
        '/vm/b': 'old b',
        '/vm/.a.restoring': 'new a',
        '/vm/.b.restoring': 'new b',
      },
      [4, 6],
    );
    const error = (await commitSwaps(swaps, ops).catch((e: unknown) => e)) as Error & {
      code: string;
    };
    expect(error.code).toBe('DISK_IO');
    expect(error.message).toMatch(
      /^could not put \/vm\/b in place \(EIO renaming \/vm\/\.b\.restoring\), and not every file could be put back: \/vm\/a: the new file stayed in place; the old one is at \/vm\/\.a\.replaced-[0-9a-f]{8}$/,
    );
    expect(listing()).toEqual({ '/vm/a': 'new a', '/vm/b': 'old b', '/vm/.a.replaced-*': 'old a' });
  });
});
