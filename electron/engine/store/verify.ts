import type { ErrorCode } from '../../../shared/errors.js';
import type { VerifyProblem, VerifyReport } from '../../../shared/images.js';
import { DIGEST_BYTES, digestHex, isZeroDigest } from './digest.js';
import { StoreError } from './errors.js';
import type { Store } from './store.js';

export type { VerifyProblem, VerifyReport } from '../../../shared/images.js';

export interface VerifyOptions {
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * Re-reads every block an image names and checks it against its digest, reporting each
 * missing or damaged block by disk and offset. Results are remembered per digest across the
 * images of one verifier, so a block shared by many images is read once.
 */
export class Verifier {
  private readonly seen = new Map<string, { code: ErrorCode; detail: string } | null>();

  constructor(private readonly store: Store) {}

  async verify(backupId: string, options: VerifyOptions = {}): Promise<VerifyReport> {
    const problems: VerifyProblem[] = [];
    let blocksChecked = 0;
    let bytesChecked = 0;
    let manifest;
    try {
      manifest = await this.store.readManifest(backupId);
    } catch (error) {
      return { backupId, blocksChecked, bytesChecked, problems: [imageProblem(backupId, error)] };
    }
    const totalBytes = manifest.disks.reduce((sum, d) => sum + d.virtualSize, 0);
    let before = 0;
    for (const disk of manifest.disks) {
      let list: Buffer;
      try {
        list = await this.store.readDigestList(manifest, disk.position);
      } catch (error) {
        problems.push({
          ...imageProblem(backupId, error),
          position: disk.position,
          disk: disk.name,
        });
        continue;
      }
      for (let block = 0; block < disk.blockCount; block++) {
        options.signal?.throwIfAborted();
        const digest = list.subarray(block * DIGEST_BYTES, (block + 1) * DIGEST_BYTES);
        if (isZeroDigest(digest)) continue;
        const hex = digestHex(digest);
        let outcome = this.seen.get(hex);
        if (outcome === undefined) {
          outcome = await this.check(Buffer.from(digest));
          this.seen.set(hex, outcome);
        }
        blocksChecked++;
        bytesChecked += Math.min(disk.blockSize, disk.virtualSize - block * disk.blockSize);
        if (outcome) {
          problems.push({
            backupId,
            position: disk.position,
            disk: disk.name,
            offset: block * disk.blockSize,
            digest: hex,
            ...outcome,
          });
        }
        if (block % 256 === 0) options.onProgress?.(before + block * disk.blockSize, totalBytes);
      }
      before += disk.virtualSize;
    }
    options.onProgress?.(totalBytes, totalBytes);
    return { backupId, blocksChecked, bytesChecked, problems };
  }

  private async check(digest: Buffer): Promise<{ code: ErrorCode; detail: string } | null> {
    try {
      await this.store.readBlock(digest);
      return null;
    } catch (error) {
      if (error instanceof StoreError) return { code: error.code, detail: error.detail };
      return { code: 'STORE_IO', detail: error instanceof Error ? error.message : String(error) };
    }
  }
}

function imageProblem(backupId: string, error: unknown): VerifyProblem {
  const code = error instanceof StoreError ? error.code : 'STORE_IO';
  const detail = error instanceof Error ? error.message : String(error);
  return { backupId, position: null, disk: null, offset: null, digest: null, code, detail };
}
