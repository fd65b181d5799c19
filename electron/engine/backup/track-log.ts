/**
 * Track logs: the block digests and fingerprints of a disk's last image, kept beside the
 * client (here, in the track-log directory), so an Accelerator backup compares every block
 * with its previous fingerprint without asking the storage unit. A track log is trusted only
 * for the image it names and only while its files match the checksums its meta vouches for;
 * when it is missing, stale or damaged, the previous image's own digest list stands in for it
 * (without fingerprints, so every block is compared by its SHA-256).
 *
 * A backup reads the track log through snapshots of its files (hard links, made and checked
 * when the backup starts), so another process's backup of the same disk that commits
 * meanwhile can never pair one image's digests with another's fingerprints.
 */
import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from '../store/process-alive.js';
import { fileSha256 } from './file-sha256.js';

export interface TrackLogMeta {
  readonly diskKey: string;
  readonly backupId: string;
  readonly blockSize: number;
  readonly blockCount: number;
  /** SHA-256 of the digest list (the image's own). */
  readonly sha256: string;
  /** SHA-256 of the fingerprint file; absent in track logs from before fingerprints. */
  readonly fingerprintsSha256?: string;
}

export interface TrackLog {
  /** 32-byte SHA-256 digests, one per block. */
  readonly digests: string;
  /** 16-byte fingerprints, one per block, or null: compare by digest. */
  readonly fingerprints: string | null;
  /** Snapshot files made for the backup that reads this, to remove when it ends. */
  readonly snapshots: readonly string[];
}

export type TrackLogLookup =
  | { readonly kind: 'found'; readonly trackLog: TrackLog }
  | { readonly kind: 'none' }
  | { readonly kind: 'damaged'; readonly reason: string };

/** Snapshots whose checksums do not match are taken again once: a save may have raced. */
const SNAPSHOT_ATTEMPTS = 2;

export class TrackLogs {
  constructor(readonly dir: string) {}

  private base(diskKey: string): string {
    return path.join(this.dir, createHash('sha256').update(diskKey).digest('hex').slice(0, 32));
  }

  /**
   * The track log of `diskKey` if it belongs to `backupId` with this geometry, as snapshots
   * for the backup `forBackup` (remove them with removeSnapshots when it ends).
   */
  async find(
    diskKey: string,
    backupId: string,
    blockSize: number,
    blockCount: number,
    forBackup: string,
  ): Promise<TrackLogLookup> {
    const base = this.base(diskKey);
    let reason = '';
    for (let attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
      let meta: TrackLogMeta;
      try {
        meta = JSON.parse(await readFile(`${base}.json`, 'utf8')) as TrackLogMeta;
      } catch {
        return { kind: 'none' };
      }
      if (meta.diskKey !== diskKey || meta.backupId !== backupId) return { kind: 'none' };
      if (meta.blockSize !== blockSize || meta.blockCount !== blockCount) return { kind: 'none' };
      const taken: string[] = [];
      try {
        // A fingerprint match takes the digest beside it on trust, so both files are checked
        // (48 bytes per 64 KiB block: about 75 MiB per 100 GiB of disk, hashed in well under
        // a second).
        const digests = await this.snapshot(`${base}.digests`, forBackup, 'digests', taken);
        if ((await fileSha256(digests)) !== meta.sha256) {
          throw new Error('its digests do not match their checksum');
        }
        if (meta.fingerprintsSha256 === undefined) {
          return { kind: 'found', trackLog: { digests, fingerprints: null, snapshots: taken } };
        }
        const fingerprints = await this.snapshot(
          `${base}.fingerprints`,
          forBackup,
          'fingerprints',
          taken,
        );
        if ((await fileSha256(fingerprints)) !== meta.fingerprintsSha256) {
          throw new Error('its fingerprints do not match their checksum');
        }
        return {
          kind: 'found',
          trackLog: { digests, fingerprints, snapshots: taken },
        };
      } catch (error) {
        await removeSnapshots(taken);
        reason = (error as Error).message;
      }
    }
    return { kind: 'damaged', reason };
  }

  /**
   * A file for the fingerprints a running backup of `diskKey` computes, to become part of
   * the disk's track log when the image commits (see save).
   */
  async pendingFingerprints(diskKey: string, backupId: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    return `${this.base(diskKey)}.${backupId}.fingerprints.${process.pid}.partial`;
  }

  /**
   * Replaces the track log of `diskKey` with a copy of a committed image's digest list and
   * the fingerprints its backup computed (a pending file, moved; null: none).
   */
  async save(meta: TrackLogMeta, digestList: string, fingerprints: string | null): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.removeOrphans();
    const base = this.base(meta.diskKey);
    const temp = `${base}.${process.pid}.partial`;
    await copyFile(digestList, temp);
    if ((await fileSha256(temp)) !== meta.sha256) {
      throw new Error('the track log copy does not match the image digest list');
    }
    const fingerprintsSha256 = fingerprints ? await fileSha256(fingerprints) : undefined;
    // Retract the old meta, swap the files, then vouch for them: a crash at any point leaves
    // either no track log or a consistent one.
    await rm(`${base}.json`, { force: true });
    await rename(temp, `${base}.digests`);
    if (fingerprints) await rename(fingerprints, `${base}.fingerprints`);
    else await rm(`${base}.fingerprints`, { force: true });
    const vouched: TrackLogMeta = { ...meta, fingerprintsSha256 };
    await writeFile(`${base}.json.${process.pid}.partial`, JSON.stringify(vouched));
    await rename(`${base}.json.${process.pid}.partial`, `${base}.json`);
  }

  /** A hard link to `file` (a copy where links cannot be made), recorded in `taken`. */
  private async snapshot(
    file: string,
    backupId: string,
    what: string,
    taken: string[],
  ): Promise<string> {
    const name = `${file.slice(0, file.lastIndexOf('.'))}.${backupId}.previous-${what}.${process.pid}.partial`;
    await rm(name, { force: true });
    taken.push(name);
    try {
      await link(file, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
      await copyFile(file, name); // file systems without hard links
    }
    return name;
  }

  /** Temporary files of saves and backups that a killed process never finished. */
  private async removeOrphans(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const match = /\.(\d+)\.partial$/.exec(name);
      if (match && !isProcessAlive(Number(match[1])))
        await rm(path.join(this.dir, name), { force: true });
    }
  }
}

/** Removes a track log's snapshots (a backup that read it has ended). */
export async function removeSnapshots(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((file) => rm(file, { force: true }).catch(() => undefined)));
}
