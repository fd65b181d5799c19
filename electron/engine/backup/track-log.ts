/**
 * Track logs: the block digests and fingerprints of a disk's last image, kept beside the
 * client (here, in the track-log directory), so an Accelerator backup compares every block
 * with its previous fingerprint without asking the storage unit. A track log is trusted only
 * for the image it names and only while its files match the checksums its meta vouches for;
 * when it is missing, stale or damaged, the previous image's own digest list stands in for it
 * (without fingerprints, so every block is compared by its SHA-256).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from '../store/process-alive.js';

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
}

export type TrackLogLookup =
  | { readonly kind: 'found'; readonly trackLog: TrackLog }
  | { readonly kind: 'none' }
  | { readonly kind: 'damaged'; readonly reason: string };

export class TrackLogs {
  constructor(readonly dir: string) {}

  private base(diskKey: string): string {
    return path.join(this.dir, createHash('sha256').update(diskKey).digest('hex').slice(0, 32));
  }

  /** The track log of `diskKey` if it belongs to `backupId` with this geometry. */
  async find(
    diskKey: string,
    backupId: string,
    blockSize: number,
    blockCount: number,
  ): Promise<TrackLogLookup> {
    const base = this.base(diskKey);
    let meta: TrackLogMeta;
    try {
      meta = JSON.parse(await readFile(`${base}.json`, 'utf8')) as TrackLogMeta;
    } catch {
      return { kind: 'none' };
    }
    if (meta.diskKey !== diskKey || meta.backupId !== backupId) return { kind: 'none' };
    if (meta.blockSize !== blockSize || meta.blockCount !== blockCount) return { kind: 'none' };
    // A fingerprint match makes the backup take the digest beside it on trust, so both files
    // are checked before use; they are a few MiB for a disk of hundreds of GiB.
    if ((await fileSha256(`${base}.digests`)) !== meta.sha256) {
      return { kind: 'damaged', reason: 'its digests do not match their checksum' };
    }
    if (!meta.fingerprintsSha256) {
      return { kind: 'found', trackLog: { digests: `${base}.digests`, fingerprints: null } };
    }
    if ((await fileSha256(`${base}.fingerprints`)) !== meta.fingerprintsSha256) {
      return { kind: 'damaged', reason: 'its fingerprints do not match their checksum' };
    }
    return {
      kind: 'found',
      trackLog: { digests: `${base}.digests`, fingerprints: `${base}.fingerprints` },
    };
  }

  /**
   * A file for the fingerprints a running backup of `diskKey` computes, to become part of
   * the disk's track log when the image commits (see save).
   */
  async pendingFingerprints(diskKey: string, backupId: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    await this.removeOrphans();
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
    const data = await readFile(temp);
    if (createHash('sha256').update(data).digest('hex') !== meta.sha256) {
      throw new Error('the track log copy does not match the image digest list');
    }
    const fingerprintsSha256 = (fingerprints && (await fileSha256(fingerprints))) || undefined;
    // Retract the old meta, swap the files, then vouch for them: a crash at any point leaves
    // either no track log or a consistent one.
    await rm(`${base}.json`, { force: true });
    await rename(temp, `${base}.digests`);
    if (fingerprints && fingerprintsSha256) await rename(fingerprints, `${base}.fingerprints`);
    else await rm(`${base}.fingerprints`, { force: true });
    const vouched: TrackLogMeta = { ...meta, fingerprintsSha256 };
    await writeFile(`${base}.json.${process.pid}.partial`, JSON.stringify(vouched));
    await rename(`${base}.json.${process.pid}.partial`, `${base}.json`);
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

async function fileSha256(file: string): Promise<string | null> {
  const sha = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) sha.update(chunk as Buffer);
  } catch {
    return null;
  }
  return sha.digest('hex');
}
