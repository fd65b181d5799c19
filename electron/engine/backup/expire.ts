import type { Catalog } from '../catalog/catalog.js';
import type { Store } from '../store/store.js';

export interface ExpireResult {
  readonly expired: readonly string[];
}

/**
 * Expires images: their manifests leave the storage unit and their rows the catalog. Blocks
 * are reclaimed by the next garbage collection, and only those no remaining image names: an
 * image whose predecessors expired still restores completely, since every image is full.
 */
export async function expireImages(
  store: Store,
  catalog: Catalog,
  options: { backupIds?: readonly string[]; nowSeconds?: number } = {},
): Promise<ExpireResult> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const ids = options.backupIds ?? catalog.expiredImages(now);
  const expired: string[] = [];
  for (const backupId of ids) {
    if (await store.hasImage(backupId)) await store.deleteImage(backupId);
    catalog.deleteImage(backupId);
    expired.push(backupId);
  }
  return { expired };
}

/** Recreates the catalog's image rows from the storage unit's manifests alone. */
export async function rebuildCatalog(store: Store, catalog: Catalog): Promise<{ images: number }> {
  const manifests = [];
  for (const backupId of await store.listImages())
    manifests.push(await store.readManifest(backupId));
  return catalog.replaceAll(manifests);
}

/**
 * Brings the catalog in line with the storage unit, which is the truth: records committed
 * images the catalog misses (a run killed between its commit and its catalog write) and forgets
 * images the storage unit no longer holds.
 */
export async function reconcileCatalog(
  store: Store,
  catalog: Catalog,
): Promise<{ recorded: number; forgotten: number }> {
  // The catalog first: images enter the store before the catalog, so an image another process
  // commits meanwhile is either in both lists or only in the store's, never only the catalog's.
  const known = new Set(catalog.listImages().map((image) => image.backupId));
  const inStore = await store.listImages();
  let recorded = 0;
  let forgotten = 0;
  for (const backupId of inStore) {
    if (known.delete(backupId)) continue;
    catalog.recordImage(await store.readManifest(backupId));
    recorded++;
  }
  for (const backupId of known) {
    catalog.deleteImage(backupId);
    forgotten++;
  }
  return { recorded, forgotten };
}
