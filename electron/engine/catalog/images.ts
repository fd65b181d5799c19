/**
 * Images in the catalog: the SQL for clients, disks, images and per-image disks, the
 * conversion of image manifests to rows and back, and the checks a manifest passes before
 * it is recorded. Every row here is derived from a manifest, so a rebuild reproduces it.
 */
import type Database from 'better-sqlite3';
import { TesseraError } from '../../../shared/errors.js';
import { BACKUP_ID_PATTERN, CLIENT_NAME_PATTERN } from '../store/manifest.js';
import type { DiskImageManifest, ImageManifest, VmMetadata } from '../store/manifest.js';
import type { DiskFormat } from '../disk/types.js';
import { objectOf } from './columns.js';
import type { ClientRow, ImageDiskRow, ImageKind, ImageRow } from './types.js';

// --- rows as SQLite returns them ---------------------------------------------------------

interface ImageDbRow {
  backup_id: string;
  client: string;
  created_at: number;
  kind: ImageKind;
  previous_backup_id: string | null;
  expires_at: number | null;
  vm_json: string | null;
  disk_count: number;
  bytes_read: number;
  bytes_stored: number;
}

interface ImageDiskDbRow {
  backup_id: string;
  position: number;
  disk_key: string;
  name: string;
  source_path: string;
  source_format: string;
  identity: string | null;
  previous_backup_id: string | null;
  virtual_size: number;
  block_size: number;
  block_count: number;
  forced_rescan: number;
  bytes_read: number;
  blocks_changed: number;
  blocks_unchanged: number;
  blocks_zero: number;
  bytes_stored: number;
  bytes_deduplicated: number;
  bytes_linked: number;
}

interface ClientDbRow {
  name: string;
  created_at: number;
  disk_count: number;
  image_count: number;
  latest_image_at: number | null;
}

/** What an image records, in column terms: built from a manifest, or read back to compare. */
interface ImageFacts {
  client: string;
  created_at: number;
  kind: string;
  previous_backup_id: string | null;
  expires_at: number | null;
  vm_json: string | null;
  disk_count: number;
  bytes_read: number;
  bytes_stored: number;
  disks: ImageDiskFacts[];
}

interface ImageDiskFacts {
  position: number;
  disk_key: string;
  previous_backup_id: string | null;
  virtual_size: number;
  block_size: number;
  block_count: number;
  forced_rescan: number;
  bytes_read: number;
  blocks_changed: number;
  blocks_unchanged: number;
  blocks_zero: number;
  bytes_stored: number;
  bytes_deduplicated: number;
  bytes_linked: number;
}

const IMAGE_COLUMNS = /* sql */ `
  i.backup_id, c.name AS client, i.created_at, i.kind, i.previous_backup_id, i.expires_at,
  i.vm_json, i.disk_count, i.bytes_read, i.bytes_stored`;

const IMAGE_DISK_COLUMNS = /* sql */ `
  d.backup_id, d.position, k.disk_key, k.name, k.source_path, k.source_format, k.identity,
  d.previous_backup_id, d.virtual_size, d.block_size, d.block_count, d.forced_rescan,
  d.bytes_read, d.blocks_changed, d.blocks_unchanged, d.blocks_zero, d.bytes_stored,
  d.bytes_deduplicated, d.bytes_linked`;

function prepareStatements(db: Database.Database) {
  return {
    upsertClient: db
      .prepare<{ name: string; createdAt: number }, number>(
        /* sql */ `INSERT INTO clients (name, created_at) VALUES (@name, @createdAt)
         ON CONFLICT (name) DO UPDATE SET created_at = min(created_at, excluded.created_at)
         RETURNING id`,
      )
      .pluck(),
    // A disk's name, path, size and owner follow its newest image, whatever the order in
    // which images are recorded, so a rebuild from manifests lands on the same rows.
    upsertDisk: db.prepare<{
      clientId: number;
      diskKey: string;
      name: string;
      sourcePath: string;
      sourceFormat: string;
      virtualSize: number;
      identity: string | null;
      createdAt: number;
      backupId: string;
    }>(/* sql */ `INSERT INTO disks
         (client_id, disk_key, name, source_path, source_format, virtual_size, identity)
       VALUES (@clientId, @diskKey, @name, @sourcePath, @sourceFormat, @virtualSize, @identity)
       ON CONFLICT (disk_key) DO UPDATE SET
         client_id = excluded.client_id, name = excluded.name,
         source_path = excluded.source_path, source_format = excluded.source_format,
         virtual_size = excluded.virtual_size, identity = excluded.identity
       WHERE NOT EXISTS (
         SELECT 1 FROM image_disks d JOIN images i ON i.backup_id = d.backup_id
         WHERE d.disk_id = disks.id
           AND (i.created_at > @createdAt OR (i.created_at = @createdAt AND i.backup_id > @backupId))
       )`),
    diskId: db
      .prepare<[diskKey: string], number>(`SELECT id FROM disks WHERE disk_key = ?`)
      .pluck(),
    insertImage: db.prepare<{
      backupId: string;
      clientId: number;
      createdAt: number;
      kind: string;
      previousBackupId: string | null;
      expiresAt: number | null;
      vmJson: string | null;
      diskCount: number;
      bytesRead: number;
      bytesStored: number;
    }>(/* sql */ `INSERT INTO images (backup_id, client_id, created_at, kind, previous_backup_id,
         expires_at, vm_json, disk_count, bytes_read, bytes_stored)
       VALUES (@backupId, @clientId, @createdAt, @kind, @previousBackupId, @expiresAt, @vmJson,
         @diskCount, @bytesRead, @bytesStored)`),
    insertImageDisk: db.prepare<
      Omit<ImageDiskFacts, 'disk_key'> & { backup_id: string; disk_id: number }
    >(/* sql */ `INSERT INTO image_disks (backup_id, position, disk_id, previous_backup_id,
         virtual_size, block_size, block_count, forced_rescan, bytes_read, blocks_changed,
         blocks_unchanged, blocks_zero, bytes_stored, bytes_deduplicated, bytes_linked)
       VALUES (@backup_id, @position, @disk_id, @previous_backup_id, @virtual_size, @block_size,
         @block_count, @forced_rescan, @bytes_read, @blocks_changed, @blocks_unchanged,
         @blocks_zero, @bytes_stored, @bytes_deduplicated, @bytes_linked)`),
    image: db.prepare<
      [backupId: string],
      ImageDbRow
    >(/* sql */ `SELECT ${IMAGE_COLUMNS} FROM images i JOIN clients c ON c.id = i.client_id
       WHERE i.backup_id = ?`),
    imageDisks: db.prepare<
      [backupId: string],
      ImageDiskDbRow
    >(/* sql */ `SELECT ${IMAGE_DISK_COLUMNS} FROM image_disks d JOIN disks k ON k.id = d.disk_id
       WHERE d.backup_id = ? ORDER BY d.position`),
    allImages: db.prepare<
      [],
      ImageDbRow
    >(/* sql */ `SELECT ${IMAGE_COLUMNS} FROM images i JOIN clients c ON c.id = i.client_id
       ORDER BY i.created_at DESC, i.backup_id DESC`),
    allImageDisks: db.prepare<
      [],
      ImageDiskDbRow
    >(/* sql */ `SELECT ${IMAGE_DISK_COLUMNS} FROM image_disks d JOIN disks k ON k.id = d.disk_id
       ORDER BY d.backup_id, d.position`),
    clientImages: db.prepare<
      [client: string],
      ImageDbRow
    >(/* sql */ `SELECT ${IMAGE_COLUMNS} FROM images i JOIN clients c ON c.id = i.client_id
       WHERE c.name = ? ORDER BY i.created_at DESC, i.backup_id DESC`),
    clientImageDisks: db.prepare<
      [client: string],
      ImageDiskDbRow
    >(/* sql */ `SELECT ${IMAGE_DISK_COLUMNS} FROM image_disks d JOIN disks k ON k.id = d.disk_id
       JOIN images i ON i.backup_id = d.backup_id JOIN clients c ON c.id = i.client_id
       WHERE c.name = ? ORDER BY d.backup_id, d.position`),
    latestImageOfDisk: db.prepare<
      [diskKey: string],
      { backupId: string; createdAt: number }
    >(/* sql */ `SELECT i.backup_id AS backupId, i.created_at AS createdAt
       FROM disks k JOIN image_disks d ON d.disk_id = k.id JOIN images i ON i.backup_id = d.backup_id
       WHERE k.disk_key = ? ORDER BY i.created_at DESC, i.backup_id DESC LIMIT 1`),
    clients: db.prepare<[], ClientDbRow>(/* sql */ `SELECT c.name, c.created_at,
         (SELECT count(*) FROM disks k WHERE k.client_id = c.id) AS disk_count,
         (SELECT count(*) FROM images i WHERE i.client_id = c.id) AS image_count,
         (SELECT max(i.created_at) FROM images i WHERE i.client_id = c.id) AS latest_image_at
       FROM clients c ORDER BY c.name`),
    deleteImage: db.prepare<[backupId: string]>(`DELETE FROM images WHERE backup_id = ?`),
    expiredImages: db
      .prepare<[now: number], string>(
        /* sql */ `SELECT backup_id FROM images WHERE expires_at IS NOT NULL AND expires_at <= ?
         ORDER BY expires_at, backup_id`,
      )
      .pluck(),
    setExpiry: db.prepare<[expiresAt: number | null, backupId: string]>(
      `UPDATE images SET expires_at = ? WHERE backup_id = ?`,
    ),
    clearImages: [
      db.prepare(`DELETE FROM image_disks`),
      db.prepare(`DELETE FROM images`),
      db.prepare(`DELETE FROM disks`),
      db.prepare(`DELETE FROM clients`),
    ],
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The image tables of one connection. Every method runs inside the caller's transaction;
 * the caller maps SQLite's errors.
 */
export class Images {
  readonly #sql: Statements;

  constructor(db: Database.Database) {
    this.#sql = prepareStatements(db);
  }

  /** See {@link recordManifest}. */
  record(manifest: ImageManifest): boolean {
    return recordManifest(this.#sql, manifest);
  }

  /** Removes every image, disk and client row (a rebuild starts here). */
  clear(): void {
    for (const statement of this.#sql.clearImages) statement.run();
  }

  get(backupId: string): ImageRow | null {
    const image = this.#sql.image.get(backupId);
    return image ? imageRowOf(image, this.#sql.imageDisks.all(backupId)) : null;
  }

  /** Newest first; only `client`'s when given. */
  list(client?: string): ImageRow[] {
    return client === undefined
      ? imageRowsOf(this.#sql.allImages.all(), this.#sql.allImageDisks.all())
      : imageRowsOf(this.#sql.clientImages.all(client), this.#sql.clientImageDisks.all(client));
  }

  latestOfDisk(diskKey: string): { backupId: string; createdAt: number } | null {
    return this.#sql.latestImageOfDisk.get(diskKey) ?? null;
  }

  clients(): ClientRow[] {
    return this.#sql.clients.all().map(clientRowOf);
  }

  delete(backupId: string): boolean {
    return this.#sql.deleteImage.run(backupId).changes > 0;
  }

  expired(nowSeconds: number): string[] {
    return this.#sql.expiredImages.all(nowSeconds);
  }

  /** False when there is no such image. */
  setExpiry(backupId: string, expiresAt: number | null): boolean {
    return this.#sql.setExpiry.run(expiresAt, backupId).changes > 0;
  }
}

// --- recording --------------------------------------------------------------------------

/**
 * Records one manifest inside the caller's transaction; false when it was already there
 * (identical), CATALOG_CONFLICT when a different image holds its backup ID.
 */
function recordManifest(sql: Statements, manifest: ImageManifest): boolean {
  checkManifest(manifest);
  const facts = factsOf(manifest);
  const existing = sql.image.get(manifest.backupId);
  if (existing) {
    const stored = storedFactsOf(existing, sql.imageDisks.all(manifest.backupId));
    const difference = firstDifference(stored, facts);
    if (difference === null) return false;
    throw new TesseraError(
      'CATALOG_CONFLICT',
      `The catalog already holds image ${manifest.backupId}, and it differs from this manifest ` +
        `(${difference}). A backup ID names one image: remove the old entry first, or rebuild the ` +
        'catalog from the storage unit.',
    );
  }
  const clientId = sql.upsertClient.get({
    name: manifest.client,
    createdAt: manifest.createdAt,
  });
  if (clientId === undefined) throw new Error('clients upsert returned no id');
  sql.insertImage.run({
    backupId: manifest.backupId,
    clientId,
    createdAt: facts.created_at,
    kind: facts.kind,
    previousBackupId: facts.previous_backup_id,
    expiresAt: facts.expires_at,
    vmJson: facts.vm_json,
    diskCount: facts.disk_count,
    bytesRead: facts.bytes_read,
    bytesStored: facts.bytes_stored,
  });
  const disks = [...manifest.disks].sort((a, b) => a.position - b.position);
  disks.forEach((disk, index) => {
    sql.upsertDisk.run({
      clientId,
      diskKey: disk.diskKey,
      name: disk.name,
      sourcePath: disk.sourcePath,
      sourceFormat: disk.sourceFormat,
      virtualSize: disk.virtualSize,
      identity: disk.identity,
      createdAt: manifest.createdAt,
      backupId: manifest.backupId,
    });
    const diskId = sql.diskId.get(disk.diskKey);
    if (diskId === undefined) throw new Error(`disk ${disk.diskKey} missing after upsert`);
    const { disk_key: _key, ...row } = facts.disks[index]!;
    sql.insertImageDisk.run({ ...row, backup_id: manifest.backupId, disk_id: diskId });
  });
  return true;
}

// --- manifests to rows and back ----------------------------------------------------------

/** The columns a manifest records; disks in position order. */
function factsOf(manifest: ImageManifest): ImageFacts {
  const disks = [...manifest.disks].sort((a, b) => a.position - b.position).map(diskFactsOf);
  return {
    client: manifest.client,
    created_at: manifest.createdAt,
    kind: manifest.kind,
    previous_backup_id: manifest.previousBackupId,
    expires_at: manifest.expiresAt,
    vm_json: manifest.vm === null ? null : JSON.stringify(manifest.vm),
    disk_count: disks.length,
    bytes_read: disks.reduce((sum, disk) => sum + disk.bytes_read, 0),
    bytes_stored: disks.reduce((sum, disk) => sum + disk.bytes_stored, 0),
    disks,
  };
}

function diskFactsOf(disk: DiskImageManifest): ImageDiskFacts {
  return {
    position: disk.position,
    disk_key: disk.diskKey,
    previous_backup_id: disk.previousBackupId,
    virtual_size: disk.virtualSize,
    block_size: disk.blockSize,
    block_count: disk.blockCount,
    forced_rescan: disk.forcedRescan ? 1 : 0,
    bytes_read: disk.stats.bytesRead,
    blocks_changed: disk.stats.blocksChanged,
    blocks_unchanged: disk.stats.blocksUnchanged,
    blocks_zero: disk.stats.blocksZero,
    bytes_stored: disk.stats.bytesStored,
    bytes_deduplicated: disk.stats.bytesDeduplicated,
    bytes_linked: disk.stats.bytesLinked,
  };
}

function storedFactsOf(image: ImageDbRow, disks: ImageDiskDbRow[]): ImageFacts {
  return {
    client: image.client,
    created_at: image.created_at,
    kind: image.kind,
    previous_backup_id: image.previous_backup_id,
    expires_at: image.expires_at,
    vm_json: image.vm_json,
    disk_count: image.disk_count,
    bytes_read: image.bytes_read,
    bytes_stored: image.bytes_stored,
    disks: disks.map((disk) => ({
      position: disk.position,
      disk_key: disk.disk_key,
      previous_backup_id: disk.previous_backup_id,
      virtual_size: disk.virtual_size,
      block_size: disk.block_size,
      block_count: disk.block_count,
      forced_rescan: disk.forced_rescan,
      bytes_read: disk.bytes_read,
      blocks_changed: disk.blocks_changed,
      blocks_unchanged: disk.blocks_unchanged,
      blocks_zero: disk.blocks_zero,
      bytes_stored: disk.bytes_stored,
      bytes_deduplicated: disk.bytes_deduplicated,
      bytes_linked: disk.bytes_linked,
    })),
  };
}

/** "field: stored → new" for the first field that differs, or null when equal. */
function firstDifference(stored: ImageFacts, next: ImageFacts): string | null {
  const { disks: storedDisks, ...storedImage } = stored;
  const { disks: nextDisks, ...nextImage } = next;
  const compare = (a: object, b: object, prefix: string): string | null => {
    const other = new Map(Object.entries(b));
    for (const [key, value] of Object.entries(a))
      if (value !== other.get(key))
        return `${prefix}${key}: ${JSON.stringify(value)} recorded, ${JSON.stringify(other.get(key))} now`;
    return null;
  };
  const imageDifference = compare(storedImage, nextImage, '');
  if (imageDifference !== null) return imageDifference;
  if (storedDisks.length !== nextDisks.length)
    return `disk count: ${storedDisks.length} recorded, ${nextDisks.length} now`;
  for (let i = 0; i < storedDisks.length; i++) {
    const difference = compare(storedDisks[i]!, nextDisks[i]!, `disk ${i} `);
    if (difference !== null) return difference;
  }
  return null;
}

/** Images with their disks, given every disk row of those images (in any image order). */
function imageRowsOf(images: readonly ImageDbRow[], disks: readonly ImageDiskDbRow[]): ImageRow[] {
  const byImage = new Map<string, ImageDiskDbRow[]>();
  for (const disk of disks) {
    const list = byImage.get(disk.backup_id);
    if (list) list.push(disk);
    else byImage.set(disk.backup_id, [disk]);
  }
  return images.map((image) => imageRowOf(image, byImage.get(image.backup_id) ?? []));
}

function clientRowOf(row: ClientDbRow): ClientRow {
  return {
    name: row.name,
    createdAt: row.created_at,
    diskCount: row.disk_count,
    imageCount: row.image_count,
    latestImageAt: row.latest_image_at,
  };
}

function imageRowOf(image: ImageDbRow, disks: readonly ImageDiskDbRow[]): ImageRow {
  return {
    backupId: image.backup_id,
    client: image.client,
    createdAt: image.created_at,
    kind: image.kind,
    previousBackupId: image.previous_backup_id,
    expiresAt: image.expires_at,
    vm: image.vm_json === null ? null : vmOf(image.backup_id, image.vm_json),
    diskCount: image.disk_count,
    bytesRead: image.bytes_read,
    bytesStored: image.bytes_stored,
    disks: disks.map(imageDiskRowOf),
  };
}

function imageDiskRowOf(disk: ImageDiskDbRow): ImageDiskRow {
  return {
    position: disk.position,
    diskKey: disk.disk_key,
    name: disk.name,
    sourcePath: disk.source_path,
    sourceFormat: disk.source_format as DiskFormat,
    identity: disk.identity,
    previousBackupId: disk.previous_backup_id,
    virtualSize: disk.virtual_size,
    blockSize: disk.block_size,
    blockCount: disk.block_count,
    forcedRescan: disk.forced_rescan === 1,
    bytesRead: disk.bytes_read,
    blocksChanged: disk.blocks_changed,
    blocksUnchanged: disk.blocks_unchanged,
    blocksZero: disk.blocks_zero,
    bytesStored: disk.bytes_stored,
    bytesDeduplicated: disk.bytes_deduplicated,
    bytesLinked: disk.bytes_linked,
  };
}

function vmOf(backupId: string, json: string): VmMetadata {
  const vm = objectOf(`VM metadata of image ${backupId}`, json);
  if (typeof vm.name !== 'string')
    throw new TesseraError(
      'CATALOG_CORRUPT',
      `The VM metadata of image ${backupId} in the catalog has no name`,
    );
  return vm as VmMetadata;
}

// --- validation --------------------------------------------------------------------------

/** What the catalog relies on in a manifest; the store validates the rest when it reads one. */
function checkManifest(manifest: ImageManifest): void {
  const id = typeof manifest.backupId === 'string' ? manifest.backupId : '(no backup ID)';
  const bad = (message: string): TesseraError =>
    new TesseraError('BAD_REQUEST', `Image manifest ${id}: ${message}`);
  if (manifest.format !== 'tessera-image' || manifest.version !== 1)
    throw bad(`not a version 1 tessera-image manifest`);
  if (!BACKUP_ID_PATTERN.test(manifest.backupId))
    throw bad('the backup ID is not of the form <client>_<unix seconds>');
  if (!CLIENT_NAME_PATTERN.test(manifest.client) || !id.startsWith(`${manifest.client}_`))
    throw bad(`the client ${JSON.stringify(manifest.client)} does not match the backup ID`);
  if (manifest.kind !== 'full' && manifest.kind !== 'accelerator')
    throw bad(`unknown image kind ${JSON.stringify(manifest.kind)}`);
  const count = (what: string, value: number): void => {
    if (!Number.isSafeInteger(value) || value < 0)
      throw bad(`${what} must be a whole number from 0 up, not ${String(value)}`);
  };
  count('createdAt', manifest.createdAt);
  if (manifest.expiresAt !== null) count('expiresAt', manifest.expiresAt);
  const positions = new Set<number>();
  const keys = new Set<string>();
  for (const disk of manifest.disks) {
    count('a disk position', disk.position);
    if (positions.has(disk.position)) throw bad(`two disks at position ${disk.position}`);
    positions.add(disk.position);
    if (typeof disk.diskKey !== 'string' || disk.diskKey === '')
      throw bad(`the disk at position ${disk.position} has no disk key`);
    if (keys.has(disk.diskKey)) throw bad(`disk ${disk.diskKey} appears twice`);
    keys.add(disk.diskKey);
    const where = `disk ${disk.position}`;
    count(`${where} virtualSize`, disk.virtualSize);
    count(`${where} blockCount`, disk.blockCount);
    if (!Number.isSafeInteger(disk.blockSize) || disk.blockSize <= 0)
      throw bad(`${where} blockSize must be positive, not ${String(disk.blockSize)}`);
    for (const [key, value] of Object.entries(disk.stats)) count(`${where} ${key}`, value);
  }
}
