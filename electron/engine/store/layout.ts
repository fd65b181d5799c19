import path from 'node:path';

/** Where everything lives inside a storage unit directory. */
export class StoreLayout {
  constructor(readonly root: string) {}

  get descriptor(): string {
    return path.join(this.root, 'tessera-store.json');
  }
  get index(): string {
    return path.join(this.root, 'index.db');
  }
  get packs(): string {
    return path.join(this.root, 'packs');
  }
  get images(): string {
    return path.join(this.root, 'images');
  }
  get tmp(): string {
    return path.join(this.root, 'tmp');
  }
  get trackLogs(): string {
    return path.join(this.root, 'tracklogs');
  }
  get catalog(): string {
    return path.join(this.root, 'catalog.db');
  }
  packDir(packId: string): string {
    return path.join(this.packs, packId.slice(0, 2));
  }
  pack(packId: string): string {
    return path.join(this.packDir(packId), `${packId}.pack`);
  }
  image(backupId: string): string {
    return path.join(this.images, backupId);
  }
  manifest(backupId: string): string {
    return path.join(this.image(backupId), 'manifest.json');
  }
  digestList(backupId: string, file: string): string {
    return path.join(this.image(backupId), file);
  }
}

export const PACK_ID_PATTERN = /^[0-9a-f]{32}$/;
