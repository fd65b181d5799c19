import { StoreError } from './errors.js';
import { BACKUP_ID_PATTERN, type ImageManifest } from './manifest.js';

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Parses a manifest read from the storage unit. Manifests are ours, but a damaged or edited
 * one must fail here with a clear error, not deep inside a restore.
 */
export function parseManifest(text: string, file: string, backupId: string): ImageManifest {
  const fail = (what: string): never => {
    throw new StoreError('STORE_CORRUPT', file, `the manifest is not valid: ${what}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('not JSON');
  }
  const m = value as Partial<ImageManifest> | null;
  if (m?.format !== 'tessera-image' || m.version !== 1) fail('not a version 1 Tessera image');
  if (m!.backupId !== backupId || !BACKUP_ID_PATTERN.test(backupId))
    fail(`backup ID is not ${backupId}`);
  if (typeof m!.client !== 'string' || !isCount(m!.createdAt)) fail('client or creation time');
  if (!Array.isArray(m!.disks) || m!.disks.length === 0) fail('no disks');
  for (const disk of m!.disks!) {
    if (
      !isCount(disk.virtualSize) ||
      !isCount(disk.blockSize) ||
      disk.blockSize === 0 ||
      !isCount(disk.blockCount) ||
      disk.blockCount !== Math.ceil(disk.virtualSize / disk.blockSize) ||
      typeof disk.blocksFile !== 'string' ||
      !/^disk-\d+\.blocks$/.test(disk.blocksFile) ||
      typeof disk.blocksSha256 !== 'string'
    ) {
      fail(`disk ${String(disk.position)} has inconsistent sizes or no digest list`);
    }
  }
  return m as ImageManifest;
}
