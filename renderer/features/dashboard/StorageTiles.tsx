import type { StorageSummary } from '../../../shared/images';
import { formatBytes, formatRatio } from '../../lib/format';

/** The storage unit at a glance: what is protected, what it costs, how much dedup saves. */
export function StorageTiles({ storage }: { readonly storage: StorageSummary }) {
  return (
    <section className="tiles" aria-label="Storage" data-testid="storage-tiles">
      <Tile label="Protected" value={formatBytes(storage.protectedBytes)} testId="tile-protected" />
      <Tile label="Stored" value={formatBytes(storage.storedBytes)} testId="tile-stored" />
      <Tile
        label="Deduplication"
        value={storage.images === 0 ? '—' : formatRatio(storage.deduplicationRatio)}
        testId="tile-dedup"
      />
      <Tile label="Images" value={String(storage.images)} testId="tile-images" />
    </section>
  );
}

function Tile(props: { readonly label: string; readonly value: string; readonly testId: string }) {
  return (
    <div className="tile" data-testid={props.testId}>
      <div className="tile-value">{props.value}</div>
      <div className="tile-label">{props.label}</div>
    </div>
  );
}
