import { useId, useState } from 'react';
import type { ImageDiskRow, ImageRow } from '../../../shared/images';
import { api } from '../../api/client';
import { FolderPicker } from '../../components/FolderPicker';
import { formatBytes, formatDateTime, formatPercent, plural } from '../../lib/format';
import { notifyError } from '../app/store';
import { ChangeBar } from './ChangeBar';
import { startRestoreDrag } from './drag';
import { DragOut } from './DragOut';
import { SYNTHETIC_FULL_HELP } from './ImageTimeline';
import { useRestore } from './store';
import { recordedVmOf, slotOf, type RecordedVmView } from './vm-metadata';

const SOURCE_KIND_LABELS: Readonly<Record<string, string>> = {
  folder: 'Folder (Hyper-V layout or loose disks)',
  libvirt: 'libvirt domain',
  virtualbox: 'VirtualBox machine',
};

/** What the image holds: the VM's configuration as backed up, and each disk. */
export function ImageBrowser({ image }: { readonly image: ImageRow }) {
  const draft = useRestore((state) => state.draft);
  const editDraft = useRestore((state) => state.editDraft);
  const restoreToFolder = useRestore((state) => state.restoreToFolder);
  const dropFolder = useRestore((state) => state.dropFolder);
  const [pickerOpen, setPickerOpen] = useState(false);
  const id = useId();
  const vm = recordedVmOf(image.vm);
  const ownDraft = draft?.backupId === image.backupId ? draft : null;
  const selected = new Set(ownDraft?.positions ?? image.disks.map((d) => d.position));
  const vmName = vm?.name ?? image.client;

  const setSelected = (positions: ReadonlySet<number>) =>
    editDraft((d) => ({ ...d, positions: [...positions].sort((a, b) => a - b) }));
  const toggle = (position: number, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(position);
    else next.delete(position);
    setSelected(next);
  };

  async function chooseFolder(): Promise<void> {
    const native = api().pickFolder;
    if (!native) {
      setPickerOpen(true);
      return;
    }
    try {
      const picked = await native(`Restore ${vmName} to a folder`);
      if (picked !== null)
        await restoreToFolder({ backupId: image.backupId, positions: null }, picked);
    } catch (error) {
      notifyError('The folder dialog failed', error);
    }
  }

  return (
    <section
      className="panel restore-browser"
      aria-labelledby={`${id}-title`}
      data-testid="restore-browser"
      data-backup-id={image.backupId}
    >
      <div
        className="panel-header restore-drag-source"
        draggable
        onDragStart={(event) =>
          startRestoreDrag(
            event,
            { backupId: image.backupId, positions: null },
            `${vmName} (${image.backupId})`,
          )
        }
        title="Drag the VM onto a folder in “Drag to restore” to restore it there"
        data-testid="restore-vm-drag"
      >
        <span className="drag-grip" aria-hidden="true" />
        <h2 id={`${id}-title`}>
          {vmName}{' '}
          <span className="muted">
            · {formatDateTime(image.createdAt * 1000)} ·{' '}
            <span title={image.kind === 'accelerator' ? SYNTHETIC_FULL_HELP : undefined}>
              {image.kind === 'full' ? 'full' : 'synthetic full'}
            </span>
          </span>
        </h2>
        <code className="small">{image.backupId}</code>
        <DragOut image={image} position={null} what={vmName} />
        <button
          type="button"
          onClick={() => void chooseFolder()}
          disabled={selected.size === 0}
          data-testid="restore-to-folder"
        >
          Restore to folder…
        </button>
      </div>
      <VmConfig vm={vm} />
      <h3 className="restore-subtitle">
        Disks <span className="muted">({plural(image.disks.length, 'disk')})</span>
      </h3>
      <table className="table table-compact restore-disks" data-testid="restore-disks">
        <thead>
          <tr>
            <th scope="col">
              <input
                type="checkbox"
                checked={selected.size === image.disks.length}
                onChange={(event) =>
                  setSelected(
                    new Set(event.target.checked ? image.disks.map((d) => d.position) : []),
                  )
                }
                aria-label="Select every disk"
                data-testid="restore-disk-all"
              />
            </th>
            <th scope="col">#</th>
            <th scope="col">Disk</th>
            <th scope="col">Format</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">Changed since the previous image</th>
            <th scope="col" className="num">
              Stored
            </th>
          </tr>
        </thead>
        <tbody>
          {image.disks.map((disk) => (
            <DiskRow
              key={disk.position}
              image={image}
              disk={disk}
              vm={vm}
              selected={selected.has(disk.position)}
              onToggle={(on) => toggle(disk.position, on)}
            />
          ))}
        </tbody>
      </table>
      {selected.size === 0 ? (
        <p className="field-hint" role="status">
          No disk is selected: select at least one to restore.
        </p>
      ) : selected.size < image.disks.length ? (
        <p className="field-hint" role="status">
          Only some disks are selected: they are restored as disks, without a VM configuration.
        </p>
      ) : null}
      {pickerOpen ? (
        <FolderPicker
          title={`Restore ${vmName} to a folder`}
          initialPath={ownDraft?.folder || dropFolder}
          onCancel={() => setPickerOpen(false)}
          onPick={(folder) => {
            setPickerOpen(false);
            void restoreToFolder({ backupId: image.backupId, positions: null }, folder);
          }}
        />
      ) : null}
    </section>
  );
}

interface DiskRowProps {
  readonly image: ImageRow;
  readonly disk: ImageDiskRow;
  readonly vm: RecordedVmView | null;
  readonly selected: boolean;
  readonly onToggle: (on: boolean) => void;
}

function DiskRow({ image, disk, vm, selected, onToggle }: DiskRowProps) {
  const slot = slotOf(vm, disk.sourcePath);
  const changedBytes = disk.blocksChanged * disk.blockSize;
  const changedFraction = disk.blockCount > 0 ? disk.blocksChanged / disk.blockCount : 0;
  return (
    <tr
      className="restore-drag-source"
      draggable
      onDragStart={(event) =>
        startRestoreDrag(
          event,
          { backupId: image.backupId, positions: [disk.position] },
          `${disk.name} (${image.backupId}, disk ${disk.position})`,
        )
      }
      title="Drag the disk onto a folder in “Drag to restore” to restore it there"
      data-testid="restore-disk"
      data-position={disk.position}
    >
      <td>
        <input
          type="checkbox"
          checked={selected}
          onChange={(event) => onToggle(event.target.checked)}
          aria-label={`Restore disk ${disk.position}, ${disk.name}`}
          data-testid="restore-disk-select"
        />
      </td>
      <td>
        {disk.position}
        {slot ? <div className="muted small">{slot}</div> : null}
      </td>
      <td className="path-cell">
        <strong>{disk.name}</strong>
        <div className="mono small muted">{disk.sourcePath}</div>
        <DragOut
          image={image}
          position={disk.position}
          what={`disk ${disk.position}, ${disk.name}`}
        />
      </td>
      <td>{disk.sourceFormat}</td>
      <td className="num">{formatBytes(disk.virtualSize)}</td>
      <td>
        {disk.previousBackupId === null ? (
          <span className="muted" title="No earlier image to compare with: every block was read">
            full: {formatBytes(disk.bytesRead)} read
          </span>
        ) : (
          <span className="restore-disk-change">
            <span data-testid="restore-disk-changed">
              {formatBytes(changedBytes)}{' '}
              <span className="muted">({formatPercent(changedFraction)} of blocks)</span>
            </span>
            <ChangeBar changed={changedBytes} linked={disk.blocksUnchanged * disk.blockSize} />
          </span>
        )}
      </td>
      <td className="num">{formatBytes(disk.bytesStored)}</td>
    </tr>
  );
}

/** The VM as the image recorded it; old images (and loose disks) recorded none. */
function VmConfig({ vm }: { readonly vm: RecordedVmView | null }) {
  if (!vm) {
    return (
      <div className="warning-box" data-testid="restore-vm-config" data-recorded="false">
        This image records no VM configuration (it was made by an older Tessera, or by{' '}
        <code>tessera backup</code> of loose disks). Its disks can be restored; a VM configuration
        cannot be written, and the VM name, CPUs, memory and networks cannot be changed.
      </div>
    );
  }
  const facts: Array<[string, React.ReactNode]> = [
    ['Name', vm.name],
    ['ID', vm.id ? <code>{vm.id}</code> : <span className="muted">not recorded</span>],
    ['Source', vm.sourceKind ? (SOURCE_KIND_LABELS[vm.sourceKind] ?? vm.sourceKind) : '—'],
    ['Configuration', vm.configPath ? <code>{vm.configPath}</code> : '—'],
    ['CPUs', vm.cpus ?? <span className="muted">not recorded</span>],
    [
      'Memory',
      vm.memoryMB !== null ? (
        `${vm.memoryMB.toLocaleString('en-US')} MiB`
      ) : (
        <span className="muted">not recorded</span>
      ),
    ],
    ['OS', vm.os ?? <span className="muted">—</span>],
    ['Firmware', vm.firmware ?? <span className="muted">—</span>],
  ];
  return (
    <div className="restore-vm-config" data-testid="restore-vm-config" data-recorded="true">
      <dl className="restore-facts">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div className="restore-vm-extra">
        <div>
          <h3>Network adapters</h3>
          {vm.networkAdapters.length === 0 ? (
            <p className="muted small">None recorded.</p>
          ) : (
            <ul className="restore-nics" data-testid="restore-nics">
              {vm.networkAdapters.map((nic, index) => (
                <li key={index} data-testid="restore-nic">
                  {nic.name ? <strong>{nic.name} </strong> : null}
                  on <strong>{nic.network ?? 'no network'}</strong>
                  {nic.mac ? <span className="mono small muted"> {nic.mac}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3>Notes</h3>
          {vm.notes ? (
            <p className="restore-notes-text">{vm.notes}</p>
          ) : (
            <p className="muted small">None.</p>
          )}
        </div>
      </div>
    </div>
  );
}
