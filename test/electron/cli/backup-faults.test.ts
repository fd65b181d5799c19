/**
 * Faults a backup must survive, with the real `tessera` command in a child process:
 *
 * - SIGKILL at seeded random moments of a long backup. Afterwards the catalog and the store
 *   agree, every committed image verifies and restores to the disk as it was, and the next
 *   backup succeeds, leaves no temporary files, and reuses the blocks the killed run had
 *   sealed into packs: an interrupted first backup resumes instead of starting over.
 * - A storage unit whose file system fills up: the job fails with a clear error (exit 4),
 *   leaves no temporary files, and every earlier image stays intact.
 * - A backup host (a worker thread of the CLI process) that dies mid-backup: SIGKILL cannot
 *   reach a thread, so test/helpers/kill-host.mjs, loaded into the CLI with NODE_OPTIONS,
 *   terminates one; the engine's code is untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, open, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ImageRow } from '../../../electron/engine/catalog/types.js';
import type { GcReport } from '../../../electron/engine/store/gc.js';
import type { ImageManifest } from '../../../electron/engine/store/manifest.js';
import { MiB, qemuVhdx, seededWrites } from '../../fixtures/vhdx-images.js';
import { tessera } from '../../helpers/cli.js';
import { scratchDir, seededBytes, sha256File } from '../../helpers/scratch.js';
import { qemuImg, qemuIo, tool } from '../../helpers/tools.js';

const BLOCK = 64 * 1024;
/** Fault injector loaded into the CLI process: terminates a backup host mid-backup. */
const KILL_HOST = new URL('../../helpers/kill-host.mjs', import.meta.url).href;

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => ({ dir, cleanup } = await scratchDir('tessera-faults-')));
afterAll(() => cleanup());

/** mulberry32: a small seeded PRNG, so the kill moments are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function listPacks(store: string): Promise<string[]> {
  const root = path.join(store, 'packs');
  const packs: string[] = [];
  for (const sub of await readdir(root).catch(() => [])) {
    for (const name of await readdir(path.join(root, sub)).catch(() => [])) {
      if (name.endsWith('.pack')) packs.push(path.join(root, sub, name));
    }
  }
  return packs.sort();
}

/** Blocks in a pack, from its trailer ("... n:u32 pad:u32 TSRPIDX1"). */
async function packBlockCount(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const trailer = Buffer.alloc(48);
    await handle.read(trailer, 0, 48, size - 48);
    expect(trailer.subarray(40).toString('latin1')).toBe('TSRPIDX1');
    return trailer.readUInt32LE(32);
  } finally {
    await handle.close();
  }
}

const imageDirs = async (store: string): Promise<string[]> =>
  (await readdir(path.join(store, 'images'))).sort();

/** Every file under `root` whose name says it is temporary. */
async function temporaryFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (/\.partial$|^\d+-/.test(entry.name)) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

/** The store's images as the catalog lists them and as the store holds them must agree. */
async function expectCatalogMatchesStore(store: string): Promise<ImageRow[]> {
  const listed = await tessera(['images', '--json', '--store', store]);
  expect(listed.code, listed.stderr).toBe(0);
  const rows = JSON.parse(listed.stdout) as ImageRow[];
  expect(rows.map((r) => r.backupId).sort(), 'catalog images = store images').toEqual(
    await imageDirs(store),
  );
  return rows;
}

async function expectVerifies(store: string, images: number): Promise<void> {
  const verify = await tessera(['verify', '--all', '--json', '--store', store]);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  const report = JSON.parse(verify.stdout) as { ok: boolean; images: unknown[] };
  expect(report.ok).toBe(true);
  expect(report.images).toHaveLength(images);
}

describe('a backup killed (SIGKILL) at random moments', () => {
  const DISK_SIZE = 160 * MiB;
  /** Random data at the start of the disk: what a full backup stores. */
  const DATA = 128 * MiB;
  /** Rewritten before each later round, at a random place: what an Accelerator backup stores. */
  const CHANGE = 64 * MiB;
  const ROUNDS = 5;

  it(`leaves a consistent store and catalog, and the next backup resumes (${ROUNDS} rounds)`, async () => {
    const random = prng(20240611);
    const store = path.join(dir, 'store');
    const disk = path.join(dir, 'vm.vhdx');
    await qemuImg('create', '-q', '-f', 'vhdx', disk, String(DISK_SIZE));
    // What the data region of the disk holds now; the rest of the disk is zero.
    const content = Buffer.alloc(DATA);

    const write = async (offset: number, seed: number, length: number): Promise<void> => {
      const data = seededBytes(seed, length);
      data.copy(content, offset);
      const file = path.join(dir, `write-${seed}.bin`);
      await writeFile(file, data);
      await qemuIo('-f', 'vhdx', '-c', `write -q -s ${file} ${offset} ${length}`, disk);
      await rm(file);
    };
    const contentSha256 = (): string => {
      const hash = createHash('sha256').update(content);
      const zeros = Buffer.alloc(16 * MiB);
      for (let at = DATA; at < DISK_SIZE; at += zeros.byteLength) hash.update(zeros);
      return hash.digest('hex');
    };

    /** sha256 of the raw disk each committed image must restore to. */
    const expected = new Map<string, string>();
    /** Images not yet restored since they were committed. */
    const unrestored = new Set<string>();
    const expectRestores = async (backupId: string): Promise<void> => {
      const to = path.join(dir, `restore-${backupId}`);
      const restored = await tessera([
        'restore',
        backupId,
        '--to',
        to,
        '--format',
        'raw',
        '--json',
        '--store',
        store,
      ]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(await sha256File(path.join(to, 'vm.raw')), `image ${backupId}`).toBe(
        expected.get(backupId),
      );
      await rm(to, { recursive: true });
      unrestored.delete(backupId);
    };

    const figures: Array<Record<string, unknown>> = [];

    for (let round = 0; round < ROUNDS; round++) {
      // New data for this round's backups: all of it the first time, then a random part.
      const changed = round === 0 ? DATA : CHANGE;
      const offset = round === 0 ? 0 : Math.floor((random() * (DATA - CHANGE)) / MiB) * MiB;
      await write(offset, 1000 + round, changed);
      const sha256 = contentSha256();

      // Kill moments, each round a different phase: once the backup has sealed some packs
      // (the first backup, so it must resume), during start-up, after the image is staged.
      const packsBefore = await listPacks(store);
      const trigger = (['packs', 'spawn', 'staged', 'packs', 'staged'] as const)[round % 5]!;
      const packsToWait = round === 0 ? 2 : 1 + Math.floor(random() * 3);
      const delay = Math.round(random() * (trigger === 'packs' ? 100 : 1000));
      const started = Date.now();
      let killedAt: number | null = null;
      const onSpawn = (child: ChildProcess): void => {
        const kill = (): void => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          killedAt = Date.now() - started;
          child.kill('SIGKILL');
        };
        if (trigger === 'spawn') {
          const timer = setTimeout(kill, delay);
          child.on('exit', () => clearTimeout(timer));
          return;
        }
        let timer: NodeJS.Timeout | undefined;
        const poll = setInterval(() => {
          const ready =
            trigger === 'packs'
              ? listPacks(store).then((p) => p.length >= packsBefore.length + packsToWait)
              : readdir(path.join(store, 'tmp'))
                  .then((names) => names.some((n) => n.startsWith(`${child.pid}-`)))
                  .catch(() => false);
          void ready.then((yes) => {
            if (!yes || timer) return;
            clearInterval(poll);
            timer = setTimeout(kill, delay);
          });
        }, 10);
        child.on('exit', () => {
          clearInterval(poll);
          clearTimeout(timer);
        });
      };
      const killed = await tessera(['backup', disk, '--json', '--store', store], { onSpawn });
      const completed = killed.code === 0;
      expect(completed || killed.signal === 'SIGKILL', killed.stderr).toBe(true);

      // The killed run committed an image only if it got that far; it is of this round's disk.
      const known = [...expected.keys()];
      const committed = (await imageDirs(store)).filter((id) => !known.includes(id));
      expect(committed.length).toBeLessThanOrEqual(1);
      if (completed) {
        expect(committed).toEqual([(JSON.parse(killed.stdout) as ImageManifest).backupId]);
      }
      for (const id of committed) {
        expected.set(id, sha256);
        unrestored.add(id);
      }

      // Consistent: the catalog lists what the store holds, every image verifies and restores
      // (read-only commands, run side by side as a user may).
      await Promise.all([
        expectCatalogMatchesStore(store),
        expectVerifies(store, expected.size),
        ...[...unrestored].map(expectRestores),
      ]);

      // The packs the killed run sealed (renamed into packs/) hold blocks the rerun reuses.
      const packsAfterKill = await listPacks(store);
      const sealed = packsAfterKill.filter((p) => !packsBefore.includes(p));
      let sealedBlocks = 0;
      for (const pack of sealed) sealedBlocks += await packBlockCount(pack);
      const leftovers = (await readdir(path.join(store, 'tmp')).catch(() => [])).length;

      const rerunStarted = Date.now();
      const rerun = await tessera(['backup', disk, '--json', '--store', store]);
      const rerunMs = Date.now() - rerunStarted;
      expect(rerun.code, rerun.stderr).toBe(0);
      const manifest = JSON.parse(rerun.stdout) as ImageManifest;
      const stats = manifest.disks[0]!.stats;
      expected.set(manifest.backupId, sha256);
      unrestored.add(manifest.backupId);

      expect(await readdir(path.join(store, 'tmp')), 'store/tmp after the rerun').toEqual([]);
      // A kill while the track log is saved leaves its temporary files, for good: a known bug,
      // pinned by the it.fails test below, so not counted here.
      const temporary = (await temporaryFiles(store)).filter(
        (file) => path.basename(path.dirname(file)) !== 'tracklogs',
      );
      expect(temporary, 'temporary files in the store').toEqual([]);
      if (committed.length > 0) {
        // The killed run finished its image: the rerun finds nothing new.
        expect(stats).toMatchObject({ blocksChanged: 0, bytesStored: 0 });
      } else {
        // Every block of this round's new data is stored once: by the killed run's sealed
        // packs (reused now, counted as deduplicated) or by the rerun.
        expect(stats.blocksChanged).toBe(changed / BLOCK);
        expect(stats.bytesDeduplicated).toBe(sealedBlocks * BLOCK);
        expect(stats.bytesStored).toBe(changed - sealedBlocks * BLOCK);
      }
      expect(manifest.kind).toBe(round === 0 && committed.length === 0 ? 'full' : 'accelerator');
      figures.push({
        round,
        trigger,
        delayMs: delay,
        killedAtMs: killedAt,
        outcome: completed ? 'completed' : committed.length > 0 ? 'killed after commit' : 'killed',
        tmpLeftovers: leftovers,
        packsSealedByKilledRun: sealed.length,
        reusedMiB: (sealedBlocks * BLOCK) / MiB,
        rerunStoredMiB: Math.round((stats.bytesStored / MiB) * 10) / 10,
        rerunMs,
      });
    }
    await Promise.all([
      expectCatalogMatchesStore(store),
      expectVerifies(store, expected.size),
      ...[...unrestored].map(expectRestores),
    ]);
    console.info('SIGKILL rounds:', JSON.stringify(figures, null, 1));
    // The first round kills the first backup after it sealed packs: it must have resumed.
    expect(figures[0]).toMatchObject({ outcome: 'killed' });
    expect(figures[0]!.reusedMiB).toBeGreaterThan(0);
  }, 240_000);

  // A track log is saved through temporary files beside it (tracklogs/<key>.<pid>.partial,
  // <key>.json.<pid>.partial) after the image is committed; a backup killed in between leaves
  // them. Planted here as such a kill would leave them: names of a process that no longer runs.
  it('the next backup removes temporary track log files of a killed one', async () => {
    const store = path.join(dir, 'tracklog-store');
    const disk = await qemuVhdx(dir, 'tl.vhdx', 16 * MiB, seededWrites([[0, MiB, 13]]));
    const first = await tessera(['backup', disk, '--store', store]);
    expect(first.code, first.stderr).toBe(0);
    const logs = path.join(store, 'tracklogs');
    const [meta] = (await readdir(logs)).filter((name) => name.endsWith('.json'));
    const key = meta!.replace(/\.json$/, '');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const planted = [`${key}.${dead}.partial`, `${key}.json.${dead}.partial`];
    for (const name of planted) await writeFile(path.join(logs, name), 'left by a killed backup');
    const next = await tessera(['backup', disk, '--store', store]);
    expect(next.code, next.stderr).toBe(0);
    expect(await temporaryFiles(store)).toEqual([]);
  });
});

describe('a storage unit that runs out of space', () => {
  let store: string;
  let mounted = false;
  let small: string;
  let first: ImageManifest;
  let packsOfFirst: string[];

  beforeAll(async () => {
    store = path.join(dir, 'full-store');
    await mkdir(store);
    // A small tmpfs is a real full file system; mounting needs root, which CI has.
    await tool('mount', ['-t', 'tmpfs', '-o', 'size=32M', 'tmpfs', store]);
    mounted = true;
  });
  afterAll(async () => {
    if (mounted) await tool('umount', [store]);
  });

  const jobStates = (): string[] => {
    const db = new Database(path.join(store, 'catalog.db'), { readonly: true });
    try {
      return db
        .prepare<[], { state: string }>('SELECT state FROM jobs ORDER BY id')
        .all()
        .map((row) => row.state);
    } finally {
      db.close();
    }
  };

  it('fails the backup with exit 4 and a clear error, leaving no temporary files and the earlier image intact', async () => {
    small = await qemuVhdx(dir, 'small.vhdx', 16 * MiB, seededWrites([[0, 4 * MiB, 7]]));
    const big = await qemuVhdx(dir, 'big.vhdx', 64 * MiB, seededWrites([[0, 48 * MiB, 8]]));

    const ok = await tessera(['backup', small, '--json', '--store', store]);
    expect(ok.code, ok.stderr).toBe(0);
    first = JSON.parse(ok.stdout) as ImageManifest;
    packsOfFirst = await listPacks(store);

    // 48 MiB of random data cannot fit in what is left of 32 MiB.
    const full = await tessera(['backup', big, '--json', '--store', store]);
    expect(full.code, full.stderr).toBe(4);
    expect(full.stdout).toBe('');
    expect(full.stderr).toContain("the storage unit's file system is full");
    expect(full.stderr).toContain('earlier images are intact');
    expect(full.stderr).toContain('[STORE_FULL]');
    expect(full.stderr).not.toContain('unexpected error');

    expect(await readdir(path.join(store, 'tmp'))).toEqual([]);
    expect(await temporaryFiles(store)).toEqual([]);
    expect(jobStates()).toEqual(['done', 'failed']);
    const to = path.join(dir, 'restore-small');
    const [rows, , restored] = await Promise.all([
      expectCatalogMatchesStore(store),
      expectVerifies(store, 1),
      tessera(['restore', first.backupId, '--to', to, '--store', store]),
    ]);
    expect(rows.map((r) => r.backupId)).toEqual([first.backupId]);
    expect(restored.code, restored.stderr).toBe(0);
    await qemuImg('compare', '-q', '-f', 'vhdx', '-F', 'vhdx', small, path.join(to, 'small.vhdx'));

    // The packs the failed backup had sealed stay (a retry reuses them) until gc drops them.
    const sealedByFailed = (await listPacks(store)).filter((p) => !packsOfFirst.includes(p));
    expect(sealedByFailed.length).toBeGreaterThan(0);
    const gc = await tessera(['gc', '--json', '--store', store]);
    expect(gc.code, gc.stderr).toBe(0);
    expect(JSON.parse(gc.stdout)).toMatchObject({
      liveImages: 1,
      packsDeleted: sealedByFailed.length,
    } satisfies Partial<GcReport>);
    expect(await listPacks(store)).toEqual(packsOfFirst);
    await expectVerifies(store, 1);
  });

  // KNOWN LIMITATION: with its file system completely full, the storage unit cannot be read:
  // opening the block index (SQLite, WAL) needs a few KiB. The CLI says so (STORE_FULL, exit 4,
  // "the storage unit's file system is full") rather than calling the store damaged; freeing
  // space makes every image readable again.
  it.fails('a completely full storage unit still lists and restores its images', async () => {
    const filler = path.join(store, 'filler');
    const { bavail, bsize } = await statfs(store);
    await tool('fallocate', ['-l', String(bavail * bsize), filler]);
    try {
      expect((await statfs(store)).bavail).toBe(0);
      const images = await tessera(['images', '--json', '--store', store]);
      expect(images.code, images.stderr).toBe(0);
      const to = path.join(dir, 'restore-from-full');
      const restored = await tessera(['restore', first.backupId, '--to', to, '--store', store]);
      expect(restored.code, restored.stderr).toBe(0);
      await qemuImg(
        'compare',
        '-q',
        '-f',
        'vhdx',
        '-F',
        'vhdx',
        small,
        path.join(to, 'small.vhdx'),
      );
    } finally {
      await rm(filler, { force: true });
    }
  });

  // An ENOSPC while writing the staged digest list (32 bytes per block of the virtual disk,
  // written as the hosts finish segments) is STORE_FULL like any other: a large, mostly empty
  // disk makes that list the first thing that does not fit.
  it('a digest list that does not fit fails with exit 4 and a clear error too', async () => {
    const small = path.join(dir, 'small-store');
    await mkdir(small);
    await tool('mount', ['-t', 'tmpfs', '-o', 'size=8M', 'tmpfs', small]);
    try {
      // 32 GiB: a 16 MiB digest list for 1 MiB of data.
      const huge = await qemuVhdx(dir, 'huge.vhdx', 32 * 1024 * MiB, seededWrites([[0, MiB, 12]]));
      const result = await tessera(['backup', huge, '--store', small]);
      expect(await readdir(path.join(small, 'tmp'))).toEqual([]);
      expect(await imageDirs(small)).toEqual([]);
      expect(result.stderr).not.toContain('unexpected error');
      expect(result.stderr).toContain("the storage unit's file system is full");
      expect(result.code).toBe(4);
    } finally {
      await tool('umount', [small]);
    }
  });
});

describe('a backup host that dies in the middle of a backup', () => {
  it('fails the job with HOST_FAILED, leaves the store clean, and the retry reuses what was sealed', async () => {
    const store = path.join(dir, 'host-store');
    const disk = await qemuVhdx(dir, 'hosts.vhdx', 96 * MiB, seededWrites([[0, 64 * MiB, 11]]));
    // Seeded: the host dies after the engine has taken 300..699 of the 1024 changed blocks.
    const after = 300 + Math.floor(prng(42)() * 400);
    const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --import ${KILL_HOST}`.trim();
    const failed = await tessera(['backup', disk, '--hosts', '2', '--json', '--store', store], {
      env: { NODE_OPTIONS: nodeOptions, TESSERA_TEST_KILL_HOST_AFTER_BLOCKS: String(after) },
    });
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(
      /backup host \d stopped unexpectedly \(exit code 1\) \[HOST_FAILED\]/,
    );
    // The engine survived its host: it cleaned up at once, without waiting for a next run.
    expect(await readdir(path.join(store, 'tmp'))).toEqual([]);
    expect(await temporaryFiles(store)).toEqual([]);
    expect(await expectCatalogMatchesStore(store)).toEqual([]);

    const sealed = await listPacks(store);
    let sealedBlocks = 0;
    for (const pack of sealed) sealedBlocks += await packBlockCount(pack);
    expect(sealedBlocks).toBeGreaterThan(0);

    const retry = await tessera(['backup', disk, '--json', '--store', store]);
    expect(retry.code, retry.stderr).toBe(0);
    const stats = (JSON.parse(retry.stdout) as ImageManifest).disks[0]!.stats;
    expect(stats.bytesDeduplicated).toBe(sealedBlocks * BLOCK);
    expect(stats.bytesStored).toBe(64 * MiB - sealedBlocks * BLOCK);
    await Promise.all([expectCatalogMatchesStore(store), expectVerifies(store, 1)]);
    console.info(
      `host killed after ${after} blocks: ${sealed.length} packs (${(sealedBlocks * BLOCK) / MiB} MiB) reused`,
    );
  });
});
