/**
 * Network adapters of a restored VM: the mapping of old networks to new ones (or out), and MAC
 * addresses kept or made new in the hypervisor's own range, so a copy restored beside its
 * original need not clash with it on the network.
 */
import { randomBytes } from 'node:crypto';
import { TesseraError } from '../../../shared/errors.js';
import type { NetworkAdapter } from '../../../shared/inventory.js';
import type { ConfigKind, NetworkMapping, PlannedAdapter } from '../../../shared/restore.js';

/** The locally administered / vendor prefixes each hypervisor gives its MACs. */
const MAC_PREFIXES: Record<ConfigKind, string> = {
  libvirt: '52:54:00',
  virtualbox: '08:00:27',
  hyperv: '00:15:5d',
  folder: '52:54:00',
};

export function newMac(kind: ConfigKind): string {
  const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `${MAC_PREFIXES[kind]}:${tail}`;
}

export interface MappedAdapters {
  readonly kept: PlannedAdapter[];
  readonly dropped: PlannedAdapter[];
}

/**
 * Applies the mappings in order of precedence: a mapping naming the adapter's network, then a
 * mapping of every adapter (`from: null`). A mapping that matches no adapter is refused, since
 * it is most likely a misspelt network name that would leave an adapter where it was.
 */
export function mapAdapters(
  adapters: readonly NetworkAdapter[],
  mappings: readonly NetworkMapping[],
  options: { newMacs: boolean; kind: ConfigKind },
): MappedAdapters {
  const networks = adapters.map((a) => a.network);
  for (const mapping of mappings) {
    if (mapping.from !== null && !networks.includes(mapping.from)) {
      const known = [...new Set(networks.filter((n) => n !== null))];
      throw new TesseraError(
        'BAD_REQUEST',
        `network "${mapping.from}": no network adapter of the VM is on it (${known.length > 0 ? `its adapters are on ${known.map((n) => `"${n}"`).join(', ')}` : 'the image records no networks'})`,
      );
    }
  }
  const kept: PlannedAdapter[] = [];
  const dropped: PlannedAdapter[] = [];
  for (const adapter of adapters) {
    const mapping =
      mappings.find((m) => m.from !== null && m.from === adapter.network) ??
      mappings.find((m) => m.from === null);
    const network = mapping ? mapping.to : adapter.network;
    // VirtualBox needs a MAC on every adapter; the others pick one when none is given.
    const mac =
      options.newMacs || (adapter.mac === null && options.kind === 'virtualbox')
        ? newMac(options.kind)
        : adapter.mac;
    const planned: PlannedAdapter = {
      name: adapter.name,
      mac,
      network,
      originalMac: adapter.mac,
      originalNetwork: adapter.network,
    };
    if (mapping && mapping.to === null) dropped.push({ ...planned, network: null });
    else kept.push(planned);
  }
  return { kept, dropped };
}
