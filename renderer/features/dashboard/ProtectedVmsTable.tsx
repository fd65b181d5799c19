import type { ProtectedVm } from '../../../shared/api';
import { EmptyState } from '../../components/EmptyState';
import { StatusBadge } from '../../components/StatusBadge';
import { formatBytes, formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { ALL_VMS, useDashboard } from './store';

/** Every inventory VM with its last backup and last attempt, and one-click backups. */
export function ProtectedVmsTable({ vms }: { readonly vms: readonly ProtectedVm[] }) {
  const now = useNow();
  const backupNow = useDashboard((state) => state.backupNow);
  const startingAll = useDashboard((state) => state.starting.has(ALL_VMS));

  return (
    <section className="panel" aria-labelledby="vms-title" data-testid="protected-vms">
      <div className="panel-header">
        <h2 id="vms-title">Protected VMs</h2>
        {vms.length > 0 ? (
          <button
            type="button"
            className="button-primary"
            disabled={startingAll}
            onClick={() => void backupNow()}
            data-testid="backup-all"
          >
            Back up all now
          </button>
        ) : null}
      </div>
      {vms.length === 0 ? (
        <EmptyState
          title="No VMs found yet"
          testId="vms-empty"
          action={<a href="#/inventory/add">Add a folder of VMs</a>}
        >
          Tessera backs up the VMs it finds in its inventory sources. Add a folder, a libvirt
          configuration or a VirtualBox folder in the Inventory.
        </EmptyState>
      ) : (
        <table className="table" data-testid="vms-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Source</th>
              <th scope="col" className="num">
                Disks
              </th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col">Last backup</th>
              <th scope="col">Last attempt</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {vms.map((vm) => (
              <VmRow key={vm.id} vm={vm} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function VmRow({ vm, now }: { readonly vm: ProtectedVm; readonly now: number }) {
  const backupNow = useDashboard((state) => state.backupNow);
  const starting = useDashboard((state) => state.starting.has(vm.id));
  const attempt = vm.lastAttempt;
  return (
    <tr data-testid="vm-row" data-vm-id={vm.id} data-vm-name={vm.name}>
      <th scope="row">{vm.name}</th>
      <td>{vm.sourceName}</td>
      <td className="num">{vm.diskCount}</td>
      <td className="num">{formatBytes(vm.sizeBytes)}</td>
      <td data-testid="vm-last-backup">
        {vm.lastImage ? (
          <span title={`${formatDateTime(vm.lastImage.createdAt * 1000)} (${vm.lastImage.kind})`}>
            {formatRelative(vm.lastImage.createdAt * 1000, now)}
          </span>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td data-testid="vm-last-status">
        {attempt ? (
          <span>
            <StatusBadge code={attempt.statusCode} detail={attempt.message} />{' '}
            <a href={`#/activity/${attempt.jobId}`} className="muted">
              job {attempt.jobId}
            </a>
          </span>
        ) : (
          <StatusBadge code={null} />
        )}
      </td>
      <td className="actions">
        {vm.runningJobId !== null ? (
          <a href={`#/activity/${vm.runningJobId}`} data-testid="vm-running-link">
            Backing up… view job {vm.runningJobId}
          </a>
        ) : (
          <button
            type="button"
            className="button-small"
            disabled={starting}
            onClick={() => void backupNow([vm.id])}
            aria-label={`Back up ${vm.name} now`}
            data-testid="vm-backup-now"
          >
            Back up now
          </button>
        )}
      </td>
    </tr>
  );
}
