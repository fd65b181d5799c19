import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** A fresh directory per test file, removed afterwards; TESSERA_KEEP_SCRATCH=1 keeps it. */
export async function scratchDir(
  prefix = 'tessera-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return {
    dir,
    cleanup: async () => {
      if (!process.env.TESSERA_KEEP_SCRATCH) await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Deterministic bytes from a seed (AES-128-CTR keystream), so fixtures are the same on every run. */
export function seededBytes(seed: number, length: number): Buffer {
  const key = createHash('sha256').update(`tessera-seed-${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}
