/**
 * Which image a restore reads: named by backup ID, or a client's newest image at or before a
 * point in time (nbrestorevm's -s/-e window, reduced to "as it was at"). Backup IDs are
 * `<client>_<unix seconds>`, so the storage unit's own image list answers without the catalog.
 */
import { TesseraError } from '../../../shared/errors.js';
import type { ImageChoice } from '../../../shared/restore.js';
import type { Store } from '../store/store.js';

export async function chooseImage(store: Store, choice: ImageChoice): Promise<string> {
  if ('backupId' in choice) return choice.backupId;
  const all = (await store.listImages()).map((id) => {
    const at = id.lastIndexOf('_');
    return { id, client: id.slice(0, at), createdAt: Number(id.slice(at + 1)) };
  });
  const ofClient = all.filter((image) => image.client === choice.client);
  if (ofClient.length === 0) {
    const clients = [...new Set(all.map((image) => image.client))].sort();
    throw new TesseraError(
      'IMAGE_NOT_FOUND',
      `no image of client "${choice.client}" in this storage unit (${clients.length > 0 ? `clients with images: ${clients.join(', ')}` : 'it holds no images'})`,
    );
  }
  const at = choice.at;
  const candidates = ofClient.filter((image) => at === undefined || image.createdAt <= at);
  const newest = candidates.reduce<(typeof candidates)[number] | null>(
    (best, image) => (best === null || image.createdAt > best.createdAt ? image : best),
    null,
  );
  if (!newest) {
    const first = ofClient.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b));
    throw new TesseraError(
      'IMAGE_NOT_FOUND',
      `client "${choice.client}" has no image at or before ${new Date(at! * 1000).toISOString()}; its first is ${first.id} (${new Date(first.createdAt * 1000).toISOString()})`,
    );
  }
  return newest.id;
}
