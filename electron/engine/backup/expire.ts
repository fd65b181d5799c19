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
