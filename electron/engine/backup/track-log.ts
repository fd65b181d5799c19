/**
 * Track logs: the block digests of a disk's last image, kept beside the client (here, in the
 * track-log directory), so an Accelerator backup compares every block with its previous
 * digest without asking the storage unit. A track log is trusted only for the image it names;
 * when it is missing or stale, the previous image's own digest list stands in for it.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from '../store/process-alive.js';

export interface TrackLogMeta {
  readonly diskKey: string;
  readonly backupId: string;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly sha256: string;
}

export class TrackLogs {
  constructor(readonly dir: string) {}

  private base(diskKey: string): string {
    return path.join(this.dir, createHash('sha256').update(diskKey).digest('hex').slice(0, 32));
  }

  /** The track log file for `diskKey` if it belongs to `backupId` with this geometry. */
  async find(
    diskKey: string,
    backupId: string,
    blockSize: number,
    blockCount: number,
  ): Promise<string | null> {
    const base = this.base(diskKey);
    try {
      const meta = JSON.parse(await readFile(`${base}.json`, 'utf8')) as TrackLogMeta;
      if (meta.diskKey !== diskKey || meta.backupId !== backupId) return null;
      if (meta.blockSize !== blockSize || meta.blockCount !== blockCount) return null;
      return `${base}.digests`;
    } catch {
      return null;
    }
  }

  /** Replaces the track log of `diskKey` with a copy of a committed image's digest list. */
  async save(meta: TrackLogMeta, digestList: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.removeOrphans();
    const base = this.base(meta.diskKey);
    const temp = `${base}.${process.pid}.partial`;
    await copyFile(digestList, temp);
    const data = await readFile(temp);
    if (createHash('sha256').update(data).digest('hex') !== meta.sha256) {
      throw new Error('the track log copy does not match the image digest list');
    }
    // Retract the old meta, swap the digests, then vouch for them: a crash at any point
    // leaves either no track log or a consistent one.
    await rm(`${base}.json`, { force: true });
    await rename(temp, `${base}.digests`);
    await writeFile(`${base}.json.${process.pid}.partial`, JSON.stringify(meta));
    await rename(`${base}.json.${process.pid}.partial`, `${base}.json`);
  }

  /** Temporary files of saves that a killed process never finished. */
  private async removeOrphans(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const match = /\.(\d+)\.partial$/.exec(name);
      if (match && !isProcessAlive(Number(match[1])))
        await rm(path.join(this.dir, name), { force: true });
    }
  }
}
