import { useEffect, useRef } from 'react';
import { ErrorBox } from '../../components/ErrorBox';
import { ProblemsPanel } from '../../components/ProblemsPanel';
import { useRouter } from '../app/router';
import { AddSourceForm } from './AddSourceForm';
import { SourcesTable } from './SourcesTable';
import { useInventory } from './store';
import { VmsTable } from './VmsTable';

export function InventoryScreen() {
  const sources = useInventory((state) => state.sources);
  const scan = useInventory((state) => state.scan);
  const error = useInventory((state) => state.error);
  const scanning = useInventory((state) => state.scanning);
  const load = useInventory((state) => state.load);
  const rescan = useInventory((state) => state.rescan);
  const wantsAdd = useRouter((state) => state.route.item === 'add');
  const addRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void load();
  }, [load]);

  // "Add a folder of VMs" from the Dashboard lands on the form, ready to type.
  useEffect(() => {
    if (!wantsAdd) return;
    addRef.current?.scrollIntoView({ block: 'center' });
    addRef.current?.querySelector<HTMLInputElement>('input[type="text"]')?.focus();
  }, [wantsAdd]);

  return (
    <div className="screen">
      <header className="screen-header">
        <h1>Inventory</h1>
        <span className="spacer" />
        <button
          type="button"
          disabled={scanning}
          onClick={() => void rescan()}
          data-testid="inventory-rescan"
        >
          {scanning ? 'Scanning…' : 'Rescan'}
        </button>
      </header>
      <p className="screen-intro">
        Sources are where Tessera looks for VMs: a folder of VM folders and disks (Hyper-V layouts,
        loose VHDX/VHD/raw disks), libvirt domain XML files, or VirtualBox .vbox files.
      </p>
      {error ? <ErrorBox error={error} title="The inventory did not load" onRetry={load} /> : null}
      <div className="two-columns">
        <SourcesTable sources={sources} />
        <div ref={addRef}>
          <AddSourceForm />
        </div>
      </div>
      {scan ? <ProblemsPanel problems={scan.problems} /> : null}
      <VmsTable vms={scan?.vms ?? null} sources={sources ?? []} />
    </div>
  );
}
