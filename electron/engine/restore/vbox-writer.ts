/**
 * A VirtualBox machine file (`<name>.vbox`) for a restored VM, the shape
 * virtualbox-machine.ts reads and `VBoxManage registervm` takes: the machine UUID, a media
 * registry with one hard disk per restored disk (its UUID is the disk's own identity, which
 * VirtualBox checks against the image header), CPUs, memory, firmware, adapters and one
 * storage controller per recorded controller name.
 *
 * Settings version 1.16 (VirtualBox 6.x; later versions read it and convert it on save), so
 * the storage controllers sit beside <Hardware>, not in it. Disk locations beside the .vbox
 * are written relative to it, as VirtualBox does; others absolute.
 *
 * An adapter's attachment is guessed from its network name, since the image records only the
 * name: "NAT" is NAT, "intnet" an internal network, a null network leaves the adapter
 * unattached, anything else a bridged host interface.
 */
import path from 'node:path';
import type { WritableFormat } from '../disk/types.js';
import {
  bareMac,
  checkVmConfig,
  xmlEscape,
  type ConfigAdapter,
  type ConfigDisk,
  type VmConfig,
} from './vm-config.js';

const MEDIUM_FORMATS: Record<WritableFormat, string> = {
  raw: 'RAW',
  vhd: 'VHD',
  'vhd-fixed': 'VHD',
  vhdx: 'VHDX',
};

/** VirtualBox's controller type for a controller name, by what the name says it is. */
const CONTROLLER_TYPES: ReadonlyArray<readonly [RegExp, string, number]> = [
  [/nvme/i, 'NVMe', 255],
  [/sas/i, 'LsiLogicSas', 8],
  [/scsi/i, 'LsiLogic', 16],
  [/ide/i, 'PIIX4', 2],
  [/.*/, 'AHCI', 30],
];

const SLOT = /^(.+?)\s+(\d+):(\d+)$/;

interface Attachment {
  readonly controller: string;
  readonly port: number;
  readonly device: number;
  readonly disk: ConfigDisk;
}

/** The .vbox text; `vboxPath` is where it will be written (for relative disk locations). */
export function vboxMachineXml(config: VmConfig, vboxPath: string): string {
  checkVmConfig(config);
  const folder = path.dirname(vboxPath);
  const attachments = attachmentsOf(config.disks);
  const controllers = [...new Set(attachments.map((a) => a.controller))];
  const lines = [
    `<?xml version="1.0"?>`,
    `<VirtualBox xmlns="http://www.virtualbox.org/" version="1.16-linux">`,
    `  <Machine uuid="{${config.id}}" name="${xmlEscape(config.name)}" OSType="${xmlEscape(osTypeOf(config.os))}" snapshotFolder="Snapshots">`,
    `    <MediaRegistry>`,
    `      <HardDisks>`,
    ...config.disks.map(
      (disk) =>
        `        <HardDisk uuid="{${disk.identity}}" location="${xmlEscape(locationOf(disk.path, folder))}" format="${MEDIUM_FORMATS[disk.format]}" type="Normal"/>`,
    ),
    `      </HardDisks>`,
    `    </MediaRegistry>`,
    ...(config.notes ? [`    <Description>${xmlEscape(config.notes)}</Description>`] : []),
    `    <Hardware>`,
    `      <CPU count="${config.cpus}"/>`,
    `      <Memory RAMSize="${config.memoryMB}"/>`,
    `      <Firmware type="${/efi/i.test(config.firmware ?? '') ? 'EFI' : 'BIOS'}"/>`,
    `      <Network>`,
    ...config.networkAdapters.flatMap(adapterLines),
    `      </Network>`,
    `    </Hardware>`,
    `    <StorageControllers>`,
    ...controllers.flatMap((name) =>
      controllerLines(
        name,
        attachments.filter((a) => a.controller === name),
      ),
    ),
    `    </StorageControllers>`,
    `  </Machine>`,
    `</VirtualBox>`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The recorded OS type when it is one of VirtualBox's (no URL, no "hvm"), else Other. */
function osTypeOf(os: string | null): string {
  return os && /^[A-Za-z][A-Za-z0-9_]*$/.test(os) && os !== 'hvm' ? os : 'Other';
}

function locationOf(file: string, folder: string): string {
  const relative = path.relative(folder, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** Recorded "SATA 0:1" slots are kept; others go on the next free SATA port. */
function attachmentsOf(disks: readonly ConfigDisk[]): Attachment[] {
  const taken = new Set<string>();
  const parsed = disks.map((disk) => {
    const match = disk.slot ? SLOT.exec(disk.slot) : null;
    if (!match) return null;
    const key = `${match[1]} ${match[2]}:${match[3]}`;
    if (taken.has(key)) return null;
    taken.add(key);
    return { controller: match[1]!, port: Number(match[2]), device: Number(match[3]) };
  });
  let port = 0;
  return disks.map((disk, i) => {
    const slot = parsed[i];
    if (slot) return { ...slot, disk };
    while (taken.has(`SATA ${port}:0`)) port++;
    taken.add(`SATA ${port}:0`);
    return { controller: 'SATA', port, device: 0, disk };
  });
}

function controllerLines(name: string, attachments: readonly Attachment[]): string[] {
  const [, type, maxPorts] = CONTROLLER_TYPES.find(([pattern]) => pattern.test(name))!;
  const ports = Math.min(maxPorts, Math.max(1, ...attachments.map((a) => a.port + 1)));
  return [
    `      <StorageController name="${xmlEscape(name)}" type="${type}" PortCount="${ports}" useHostIOCache="false" Bootable="true">`,
    ...attachments.flatMap((a) => [
      `        <AttachedDevice type="HardDisk" hotpluggable="false" port="${a.port}" device="${a.device}">`,
      `          <Image uuid="{${a.disk.identity}}"/>`,
      `        </AttachedDevice>`,
    ]),
    `      </StorageController>`,
  ];
}

function adapterLines(adapter: ConfigAdapter, slot: number): string[] {
  const mac = adapter.mac ? ` MACAddress="${bareMac(adapter.mac)}"` : '';
  const network = adapter.network;
  const attachment =
    network === null
      ? []
      : network.toUpperCase() === 'NAT'
        ? [`          <NAT/>`]
        : network === 'intnet'
          ? [`          <InternalNetwork name="intnet"/>`]
          : [`          <BridgedInterface name="${xmlEscape(network)}"/>`];
  return [
    `        <Adapter slot="${slot}" enabled="true"${mac} type="82540EM">`,
    ...attachment,
    `        </Adapter>`,
  ];
}
