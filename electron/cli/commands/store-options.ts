import path from 'node:path';
import type { Catalog } from '../../engine/catalog/catalog.js';
import type { Store } from '../../engine/store/store.js';
import { doesProcessEndWithCommand } from '../process-end.js';
import { defaultDataDir } from './service-options.js';

/**
 * Where the storage unit is: --store, else $TESSERA_STORE, else `store` in the data directory
 * ($TESSERA_DATA, else the user's: XDG on Linux, as Electron's userData is per user too).
 */
export function defaultStoreDir(): string {
  if (process.env.TESSERA_STORE) return process.env.TESSERA_STORE;
  return path.join(defaultDataDir(), 'store');
}

export interface Opened {
  readonly store: Store;
  readonly catalog: Catalog;
}

/**
 * Opens the storage unit and its catalog, runs `work`, and closes both whatever happens (the
 * catalog is left to the process's exit when that follows; see process-end.ts).
 */
export async function withStore<T>(
  options: { store?: string },
  create: boolean,
  work: (opened: Opened) => Promise<T>,
): Promise<T> {
  // Loaded here, not at start-up: SQLite and the codecs are native modules.
  const [{ Store }, { Catalog }] = await Promise.all([
    import('../../engine/store/store.js'),
    import('../../engine/catalog/catalog.js'),
  ]);
  const store = await Store.open(options.store ?? defaultStoreDir(), { create });
  let catalog: Catalog | null = null;
  try {
    catalog = Catalog.open(store.layout.catalog);
    return await work({ store, catalog });
  } finally {
    if (!doesProcessEndWithCommand()) catalog?.close();
    await store.close();
  }
}
