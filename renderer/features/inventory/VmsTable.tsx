import type { InventorySource, InventoryVm, VmDisk } from '../../../shared/inventory';
import { EmptyState } from '../../components/EmptyState';
import { formatBytes } from '../../lib/format';

interface VmsTableProps {
  readonly vms: readonly InventoryVm[] | null;
  readonly sources: readonly InventorySource[];
}

/** Every VM the sources hold, with what the hypervisor's configuration says about it. */
export function VmsTable({ vms, sources }: VmsTableProps) {
  const sourceName = (id: number) => sources.find((s) => s.id === id)?.name ?? `#${id}`;
  return (
    <section className="panel" aria-labelledby="discovered-title" data-testid="discovered-vms">
      <h2 id="discovered-title">
        Discovered VMs {vms ? <span className="muted">({vms.length})</span> : null}
      </h2>
      {vms === null ? (
        <p className="muted">Loading…</p>
      ) : vms.length === 0 ? (
        <EmptyState title="No VMs discovered" testId="discovered-empty">
          {sources.length === 0
            ? 'Add a source above: Tessera lists the VMs it finds there.'
            : 'The sources hold no VM Tessera recognises. Check their paths, then Rescan.'}
        </EmptyState>
      ) : (
        <table className="table" data-testid="discovered-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Source</th>
              <th scope="col">Disks</th>
              <th scope="col" className="num">
                CPUs
              </th>
              <th scope="col" className="num">
                Memory
              </th>
              <th scope="col" className="num">
                NICs
              </th>
              <th scope="col">OS</th>
              <th scope="col">Notes</th>
            </tr>
          </thead>
          <tbody>
            {vms.map((vm) => (
              <tr key={vm.id} data-testid="discovered-vm" data-vm-name={vm.name}>
                <th scope="row" title={vm.configPath}>
                  {vm.name}
                  <div className="muted mono small">{vm.metadata.firmware ?? ''}</div>
                </th>
                <td>
                  {sourceName(vm.sourceId)} <span className="muted">({vm.sourceKind})</span>
                </td>
                <td>
                  <ul className="disk-list">
                    {vm.disks.map((disk) => (
                      <DiskLine key={disk.path} disk={disk} />
                    ))}
                  </ul>
                </td>
                <td className="num">{vm.metadata.cpus ?? '—'}</td>
                <td className="num">
                  {vm.metadata.memoryMB === null
                    ? '—'
                    : formatBytes(vm.metadata.memoryMB * 1024 * 1024)}
                </td>
                <td className="num" title={nicSummary(vm)}>
                  {vm.metadata.networkAdapters.length}
                </td>
                <td>{vm.metadata.os ?? <span className="muted">—</span>}</td>
                <td className="notes-cell">{vm.metadata.notes ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DiskLine({ disk }: { readonly disk: VmDisk }) {
  const file = disk.path.split(/[\\/]/).pop() ?? disk.path;
  return (
    <li title={disk.path} data-testid="vm-disk">
      <span className="mono">{file}</span>{' '}
      <span className="muted">
        {disk.format}
        {disk.virtualSize !== null ? ` · ${formatBytes(disk.virtualSize)}` : ''}
        {disk.slot ? ` · ${disk.slot}` : ''}
        {disk.chain.length > 0 ? ` · differencing, chain of ${disk.chain.length + 1}` : ''}
      </span>
      {disk.chain.length > 0 ? (
        <div className="muted small mono" title={disk.chain.join('\n')}>
          ↳ {disk.chain.map((parent) => parent.split(/[\\/]/).pop()).join(' → ')}
        </div>
      ) : null}
      {disk.problem ? <div className="disk-problem">⚠ {disk.problem}</div> : null}
    </li>
  );
}

function nicSummary(vm: InventoryVm): string {
  return vm.metadata.networkAdapters
    .map((nic) => [nic.name, nic.mac, nic.network].filter(Boolean).join(' '))
    .join('\n');
}
