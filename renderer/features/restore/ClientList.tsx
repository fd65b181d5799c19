import { useId, useMemo, useState } from 'react';
import type { ImageRow } from '../../../shared/images';
import { formatDateTime, formatRelative, plural } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { hashOf } from '../app/router';
import { vmNameOf } from './vm-metadata';

interface ClientSummary {
  readonly client: string;
  readonly vmName: string;
  readonly count: number;
  /** Unix seconds. */
  readonly newest: number;
}

/** Images grouped by client, the newest image's VM name first in mind. */
function clientsOf(images: readonly ImageRow[]): ClientSummary[] {
  const byClient = new Map<string, ClientSummary>();
  // Newest first: the first image of a client names it.
  for (const image of images) {
    const known = byClient.get(image.client);
    byClient.set(image.client, {
      client: image.client,
      vmName: known?.vmName ?? vmNameOf(image),
      count: (known?.count ?? 0) + 1,
      newest: Math.max(known?.newest ?? 0, image.createdAt),
    });
  }
  return [...byClient.values()].sort((a, b) => a.vmName.localeCompare(b.vmName));
}

interface ClientListProps {
  readonly images: readonly ImageRow[];
  readonly selected: string | null;
}

/** The VMs (clients) with images, filterable by name. */
export function ClientList({ images, selected }: ClientListProps) {
  const [filter, setFilter] = useState('');
  const now = useNow();
  const id = useId();
  const clients = useMemo(() => clientsOf(images), [images]);
  const needle = filter.trim().toLowerCase();
  const shown = needle
    ? clients.filter(
        (c) => c.vmName.toLowerCase().includes(needle) || c.client.toLowerCase().includes(needle),
      )
    : clients;

  return (
    <section className="panel restore-clients" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        VMs <span className="muted">({clients.length})</span>
      </h2>
      <input
        type="search"
        className="restore-filter"
        value={filter}
        onChange={(event) => setFilter(event.target.value)}
        placeholder="Filter by name"
        aria-label="Filter VMs by name"
        data-testid="restore-client-filter"
      />
      <ul className="restore-client-list" aria-label="VMs with backup images">
        {shown.length === 0 ? (
          <li className="muted restore-client-none">No VM matches “{filter.trim()}”.</li>
        ) : null}
        {shown.map((c) => (
          <li key={c.client}>
            <a
              href={hashOf({ screen: 'restore', item: c.client })}
              className="restore-client"
              aria-current={c.client === selected ? 'true' : undefined}
              data-testid="restore-client"
              data-client={c.client}
            >
              <span className="restore-client-name">{c.vmName}</span>
              {c.vmName !== c.client ? <span className="muted small mono"> {c.client}</span> : null}
              <span className="restore-client-facts muted small">
                {plural(c.count, 'image')} · newest{' '}
                <span title={formatDateTime(c.newest * 1000)}>
                  {formatRelative(c.newest * 1000, now)}
                </span>
              </span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
