import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  statfs,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { BlockIndex, type BlockLocation } from './block-index.js';
import { decodeBlock } from './codec.js';
import { DIGEST_BYTES, digestHex, digestOf, isZeroDigest } from './digest.js';
import { StoreError, storeIoError } from './errors.js';
import { fsyncDirectory, fsyncDirectorySync } from './fs-durable.js';
import { PACK_ID_PATTERN, StoreLayout } from './layout.js';
import { BACKUP_ID_PATTERN, backupIdOf, type ImageManifest } from './manifest.js';
import { parseManifest } from './manifest-codec.js';
import { readPackIndex } from './pack-reader.js';
import { PackWriter, type PackWriterOptions } from './pack-writer.js';
import { isProcessAlive } from './process-alive.js';

interface StoreDescriptor {
  readonly format: 'tessera-store';
  readonly version: 1;
  readonly id: string;
  readonly createdAt: string;
}

export interface StoreOpenOptions extends PackWriterOptions {
  /** Create the storage unit when the directory holds none. */
  readonly create?: boolean;
}

export interface RecoveryReport {
  /** Temporary files of processes that no longer run, removed. */
  readonly removedTemporary: number;
  /** Sealed packs that were missing from the block index (a crash after the rename), indexed. */
  readonly indexedPacks: number;
  /** Packs that could not be read; left in place for `verify` to report. */
  readonly damagedPacks: readonly string[];
  /**
   * Packs the index listed whose file is gone (lost, or deleted by a sweep that crashed before
   * its index transaction committed): forgotten, so their blocks are stored again rather than
   * linked to by the next backup.
   */
  readonly forgottenPacks: readonly string[];
}

/** A new image being written under tmp/ until commitImage() moves it into images/. */
export interface StagedImage {
  readonly backupId: string;
  readonly dir: string;
  digestListPath(file: string): string;
}

export type CommitResult =
  { readonly committed: true } | { readonly committed: false; readonly missing: readonly Buffer[] };

const OPEN_PACKS = 64;

/** An open pack shared by concurrent reads; closed once evicted and no read is using it. */
interface PackHandle {
  readonly handle: Promise<FileHandle>;
  users: number;
  evicted: boolean;
}

/**
 * A storage unit: packs of content-addressed blocks, image manifests, and the block index.
 * See index.ts for the design note.
 */
export class Store {
  private readonly packHandles = new Map<string, PackHandle>();
  readonly writer: PackWriter;

  private constructor(
    readonly layout: StoreLayout,
    readonly id: string,
    readonly index: BlockIndex,
    options: PackWriterOptions,
  ) {
    this.writer = new PackWriter(layout, index, options);
  }

  get dir(): string {
    return this.layout.root;
  }

  static async open(dir: string, options: StoreOpenOptions = {}): Promise<Store> {
    const layout = new StoreLayout(path.resolve(dir));
    const descriptor = await readDescriptor(layout, options.create ?? false);
    for (const sub of [layout.packs, layout.images, layout.tmp]) {
      await mkdir(sub, { recursive: true }).catch((cause: unknown) => {
        throw storeIoError(sub, 'cannot create the directory', cause);
      });
    }
    let index: BlockIndex;
    try {
      index = new BlockIndex(layout.index);
    } catch (cause) {
      throw await indexOpenError(layout, cause);
    }
    return new Store(layout, descriptor.id, index, options);
  }

  /**
   * Cleans up after crashed runs: removes their temporary files and indexes packs that were
   * sealed but not yet indexed, so the blocks an interrupted backup stored are reused.
   */
  async recover(): Promise<RecoveryReport> {
    let removedTemporary = 0;
    for (const name of await readdir(this.layout.tmp)) {
      const pid = Number(name.split('-')[0]);
      if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) continue;
      await rm(path.join(this.layout.tmp, name), { recursive: true, force: true });
      removedTemporary++;
    }
    // Under the commit lock an indexed pack always has its file (packs are renamed in before
    // they are indexed, and a sweep drops rows and files together), so a missing one is lost.
    const forgottenPacks = this.index.exclusive(() => {
      const gone = [...this.index.packIds()].filter((id) => !existsSync(this.layout.pack(id)));
      for (const packId of gone) this.index.dropPack(packId);
      return gone;
    });
    const indexed = this.index.packIds();
    let indexedPacks = 0;
    const damagedPacks: string[] = [];
    for (const packId of await this.listPackFiles()) {
      if (indexed.has(packId)) continue;
      const file = this.layout.pack(packId);
      try {
        const { entries, size } = await readPackIndex(file);
        // Under the commit lock, and only if the file is still there: a sweep in another
        // process may have deleted the pack since it was read, and its rows would name nothing.
        const added = this.index.exclusive(() => {
          if (!existsSync(file)) return false;
          this.index.addPack(packId, Date.now(), size, entries);
          return true;
        });
        if (added) indexedPacks++;
      } catch {
        damagedPacks.push(packId);
      }
    }
    return { removedTemporary, indexedPacks, damagedPacks, forgottenPacks };
  }

  async listPackFiles(): Promise<string[]> {
    const ids: string[] = [];
    for (const sub of await readdir(this.layout.packs)) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const name of await readdir(path.join(this.layout.packs, sub))) {
        const id = name.replace(/\.pack$/, '');
        if (name.endsWith('.pack') && PACK_ID_PATTERN.test(id)) ids.push(id);
      }
    }
    return ids;
  }

  /** True when the block is stored (or on its way into a pack of this process). */
  hasBlock(digest: Buffer): boolean {
    return this.writer.holds(digest) || this.index.has(digest);
  }

  /** Stores an encoded block unless it is already there; true when it was newly stored. */
  async putBlock(digest: Buffer, data: Buffer, rawLength: number, codec: number): Promise<boolean> {
    if (this.hasBlock(digest)) return false;
    await this.writer.add(digest, data, rawLength, codec);
    return true;
  }

  /** Makes every block put so far durable and indexed. */
  async flush(): Promise<void> {
    await this.writer.flush();
  }

  /** Reads a block and checks it against its digest. */
  async readBlock(digest: Buffer): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      const location = this.index.locate(digest);
      if (!location) {
        throw new StoreError(
          'BLOCK_MISSING',
          this.dir,
          `block ${digestHex(digest)} is not in the storage unit`,
        );
      }
      try {
        return await this.readAt(digest, location);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          await this.dropHandle(location.pack);
          // A garbage collection may have moved the block to another pack meanwhile: look again.
          if (attempt === 0) continue;
          throw new StoreError(
            'BLOCK_MISSING',
            this.layout.pack(location.pack),
            `block ${digestHex(digest)} is in pack ${location.pack}, whose file is gone`,
            { cause: error },
          );
        }
        throw error instanceof StoreError
          ? error
          : storeIoError(this.layout.pack(location.pack), 'cannot read a block', error);
      }
    }
  }

  private async readAt(digest: Buffer, location: BlockLocation): Promise<Buffer> {
    const stored = Buffer.allocUnsafe(location.storedLength);
    const pack = this.acquirePack(location.pack);
    let bytesRead: number;
    try {
      const handle = await pack.handle;
      ({ bytesRead } = await handle.read(stored, 0, stored.byteLength, location.offset));
    } finally {
      this.releasePack(pack);
    }
    const file = this.layout.pack(location.pack);
    if (bytesRead !== stored.byteLength) {
      throw new StoreError(
        'BLOCK_DAMAGED',
        file,
        `block ${digestHex(digest)} is cut short at offset ${location.offset}`,
      );
    }
    let raw: Buffer;
    try {
      raw = decodeBlock(location.codec, stored, location.rawLength);
    } catch (cause) {
      throw new StoreError(
        'BLOCK_DAMAGED',
        file,
        `block ${digestHex(digest)} at offset ${location.offset} does not decode: ${(cause as Error).message}`,
      );
    }
    if (!digestOf(raw).equals(digest)) {
      throw new StoreError(
        'BLOCK_DAMAGED',
        file,
        `block ${digestHex(digest)} at offset ${location.offset} does not match its digest`,
      );
    }
    return raw;
  }

  /**
   * The open pack, most recently used last. Promises are cached, not handles, so concurrent
   * reads of one pack share one open; a pack evicted while reads use it closes after the last.
   */
  private acquirePack(packId: string): PackHandle {
    let pack = this.packHandles.get(packId);
    if (pack) {
      this.packHandles.delete(packId);
    } else {
      const opened: PackHandle = {
        handle: open(this.layout.pack(packId), 'r'),
        users: 0,
        evicted: false,
      };
      opened.handle.catch(() => {
        if (this.packHandles.get(packId) === opened) this.packHandles.delete(packId);
      });
      pack = opened;
    }
    pack.users++;
    this.packHandles.set(packId, pack);
    while (this.packHandles.size > OPEN_PACKS) {
      const [oldest] = this.packHandles.keys();
      void this.dropHandle(oldest!);
    }
    return pack;
  }

  private releasePack(pack: PackHandle): void {
    pack.users--;
    if (pack.evicted && pack.users === 0) void closePack(pack);
  }

  private async dropHandle(packId: string): Promise<void> {
    const pack = this.packHandles.get(packId);
    if (!pack) return;
    this.packHandles.delete(packId);
    pack.evicted = true;
    if (pack.users === 0) await closePack(pack);
  }

  /** Backup IDs of every committed image, oldest first. */
  async listImages(): Promise<string[]> {
    const names = await readdir(this.layout.images);
    return names.filter((name) => BACKUP_ID_PATTERN.test(name)).sort(byCreation);
  }

  listImagesSync(): string[] {
    return readdirSync(this.layout.images)
      .filter((name) => BACKUP_ID_PATTERN.test(name))
      .sort(byCreation);
  }

  async hasImage(backupId: string): Promise<boolean> {
    return BACKUP_ID_PATTERN.test(backupId) && existsSync(this.layout.manifest(backupId));
  }

  async readManifest(backupId: string): Promise<ImageManifest> {
    if (!BACKUP_ID_PATTERN.test(backupId)) {
      throw new StoreError(
        'BAD_REQUEST',
        this.dir,
        `"${backupId}" is not a backup ID (<client>_<unix seconds>)`,
      );
    }
    const file = this.layout.manifest(backupId);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StoreError(
          'IMAGE_NOT_FOUND',
          this.dir,
          `no image ${backupId} in this storage unit`,
        );
      }
      throw storeIoError(file, 'cannot read the manifest', cause);
    }
    return parseManifest(text, file, backupId);
  }

  readManifestSync(backupId: string): ImageManifest {
    const file = this.layout.manifest(backupId);
    return parseManifest(readFileSync(file, 'utf8'), file, backupId);
  }

  /**
   * Reads one disk's digest list and checks it against the manifest's checksum: 32 bytes per
   * block, the zero digest for blocks that are unallocated or zero.
   */
  async readDigestList(manifest: ImageManifest, position: number): Promise<Buffer> {
    const disk = manifest.disks.find((d) => d.position === position);
    if (!disk)
      throw new StoreError(
        'IMAGE_NOT_FOUND',
        this.dir,
        `image ${manifest.backupId} has no disk ${position}`,
      );
    const file = this.layout.digestList(manifest.backupId, disk.blocksFile);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (cause) {
      throw storeIoError(file, 'cannot read the digest list', cause);
    }
    return checkDigestList(data, disk.blockCount, disk.blocksSha256, file);
  }

  readDigestListSync(manifest: ImageManifest, position: number): Buffer {
    const disk = manifest.disks.find((d) => d.position === position)!;
    const file = this.layout.digestList(manifest.backupId, disk.blocksFile);
    return checkDigestList(readFileSync(file), disk.blockCount, disk.blocksSha256, file);
  }

  /**
   * Starts a new image under tmp/, named after this process and the time it starts: until it
   * is committed or discarded, a garbage collection sweeps no pack sealed since that time.
   */
  /**
   * Claims the first backup ID `<client>_<t>` with t >= `from` that no committed image and no
   * running backup (in any process) holds, so two backups started in the same second get
   * different IDs. The claim ends when the image is committed or discarded, or its process dies.
   */
  claimBackupId(client: string, from: number): { backupId: string; createdAt: number } {
    return this.index.exclusive(() => {
      for (let at = from; ; at++) {
        const backupId = backupIdOf(client, at);
        if (existsSync(this.layout.image(backupId))) continue;
        const holder = this.index.claimHolder(backupId);
        if (holder !== null && isProcessAlive(holder)) continue;
        this.index.setClaim(backupId, process.pid);
        return { backupId, createdAt: at };
      }
    });
  }

  async stageImage(backupId: string): Promise<StagedImage> {
    const dir = path.join(
      this.layout.tmp,
      `${process.pid}-${Date.now()}-${randomBytes(6).toString('hex')}.image`,
    );
    await mkdir(dir).catch((cause: unknown) => {
      throw storeIoError(dir, 'cannot stage the image', cause);
    });
    return { backupId, dir, digestListPath: (file) => path.join(dir, file) };
  }

  /**
   * When the oldest image still being staged by a running process started (Unix ms), or null.
   * Blocks stored since then may belong to an image not yet committed, so are not garbage.
   */
  oldestStagedImageSync(): number | null {
    let oldest: number | null = null;
    for (const name of readdirSync(this.layout.tmp)) {
      const match = /^(\d+)-(\d+)-[0-9a-f]+\.image$/.exec(name);
      if (!match || !isProcessAlive(Number(match[1]))) continue;
      oldest = Math.min(oldest ?? Infinity, Number(match[2]));
    }
    return oldest;
  }

  async discardStaged(staged: StagedImage): Promise<void> {
    await rm(staged.dir, { recursive: true, force: true });
    this.index.exclusive(() => this.index.dropClaim(staged.backupId));
  }

  /**
   * Commits a staged image: every block it names must be durable and indexed. Under the
   * commit lock, the blocks are checked against the index (a garbage collection may have swept
   * a block this backup deduplicated against); if any are missing nothing is committed and
   * they are returned, for the caller to store again and retry.
   */
  async commitImage(staged: StagedImage, manifest: ImageManifest): Promise<CommitResult> {
    await this.flush();
    const manifestPath = path.join(staged.dir, 'manifest.json');
    const digests = new Map<string, Buffer>();
    try {
      for (const disk of manifest.disks) {
        const list = await readFile(staged.digestListPath(disk.blocksFile));
        for (let at = 0; at < list.byteLength; at += DIGEST_BYTES) {
          const digest = list.subarray(at, at + DIGEST_BYTES);
          if (!isZeroDigest(digest)) digests.set(digest.toString('latin1'), digest);
        }
        await syncFile(staged.digestListPath(disk.blocksFile));
      }
      await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      await syncFile(manifestPath);
      await fsyncDirectory(staged.dir);
    } catch (cause) {
      throw storeIoError(staged.dir, 'cannot write the image', cause);
    }
    const target = this.layout.image(manifest.backupId);
    return this.index.exclusive((): CommitResult => {
      const missing = this.index.missing([...digests.values()]);
      if (missing.length > 0) return { committed: false, missing };
      if (existsSync(target)) {
        throw new StoreError(
          'IMAGE_EXISTS',
          target,
          `image ${manifest.backupId} is already committed`,
        );
      }
      renameSync(staged.dir, target);
      fsyncDirectorySync(this.layout.images);
      this.index.dropClaim(manifest.backupId);
      return { committed: true };
    });
  }

  /** Removes an image's manifest (its blocks go at the next garbage collection). */
  async deleteImage(backupId: string): Promise<void> {
    const source = this.layout.image(backupId);
    const doomed = path.join(this.layout.tmp, `${process.pid}-deleted-${backupId}`);
    this.index.exclusive(() => {
      if (!existsSync(source))
        throw new StoreError(
          'IMAGE_NOT_FOUND',
          this.dir,
          `no image ${backupId} in this storage unit`,
        );
      renameSync(source, doomed);
      fsyncDirectorySync(this.layout.images);
    });
    await rm(doomed, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await this.writer.abort();
    for (const packId of [...this.packHandles.keys()]) await this.dropHandle(packId);
    this.index.close();
  }
}

async function readDescriptor(layout: StoreLayout, create: boolean): Promise<StoreDescriptor> {
  let text: string | null = null;
  try {
    text = await readFile(layout.descriptor, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT')
      throw storeIoError(layout.descriptor, 'cannot read the storage unit descriptor', cause);
  }
  if (text === null) {
    if (!create) {
      throw new StoreError(
        'STORE_NOT_FOUND',
        layout.root,
        'no Tessera storage unit here (tessera-store.json is missing); pass the directory of an existing one, or back up to create one',
      );
    }
    const descriptor: StoreDescriptor = {
      format: 'tessera-store',
      version: 1,
      id: randomUUID(),
      createdAt: new Date().toISOString(),
    };
    try {
      await mkdir(layout.root, { recursive: true });
      const temp = `${layout.descriptor}.${process.pid}.partial`;
      await writeFile(temp, `${JSON.stringify(descriptor, null, 2)}\n`);
      await syncFile(temp);
      await rename(temp, layout.descriptor);
      await fsyncDirectory(layout.root);
    } catch (cause) {
      throw storeIoError(layout.root, 'cannot create the storage unit', cause);
    }
    return descriptor;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const value = parsed as Partial<StoreDescriptor> | null;
  if (value?.format !== 'tessera-store' || typeof value.id !== 'string') {
    throw new StoreError(
      'STORE_CORRUPT',
      layout.descriptor,
      'the storage unit descriptor is not valid JSON of a Tessera storage unit',
    );
  }
  if (value.version !== 1) {
    throw new StoreError(
      'STORE_CORRUPT',
      layout.descriptor,
      `storage unit version ${String(value.version)} is not one this Tessera knows (1)`,
    );
  }
  return value as StoreDescriptor;
}

async function closePack(pack: PackHandle): Promise<void> {
  await (await pack.handle.catch(() => null))?.close().catch(() => undefined);
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Backup IDs sort by their creation time, then by client. */
function byCreation(a: string, b: string): number {
  const time = (id: string): number => Number(id.slice(id.lastIndexOf('_') + 1));
  return time(a) - time(b) || a.localeCompare(b);
}

function checkDigestList(data: Buffer, blockCount: number, sha256: string, file: string): Buffer {
  if (
    data.byteLength !== blockCount * DIGEST_BYTES ||
    createHash('sha256').update(data).digest('hex') !== sha256
  ) {
    throw new StoreError('STORE_CORRUPT', file, 'the digest list does not match its manifest');
  }
  return data;
}

/** Why the block index would not open: a full file system reads as I/O errors in SQLite. */
async function indexOpenError(layout: StoreLayout, cause: unknown): Promise<StoreError> {
  const code = String((cause as { code?: unknown }).code ?? '');
  const free = await statfs(layout.root).then(
    (fs) => fs.bavail * fs.bsize,
    () => Number.POSITIVE_INFINITY,
  );
  if (code === 'SQLITE_FULL' || free < 1024 * 1024) {
    return storeIoError(
      layout.index,
      'cannot open the block index',
      Object.assign(new Error('no space'), { code: 'ENOSPC' }),
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new StoreError(
      'STORE_CORRUPT',
      layout.index,
      `the block index is damaged (${String(cause)}); move index.db aside and it is rebuilt from the packs`,
      { cause },
    );
  }
  return storeIoError(layout.index, 'cannot open the block index', cause);
}
