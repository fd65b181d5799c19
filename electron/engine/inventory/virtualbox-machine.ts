/**
 * A VirtualBox machine file (`<name>.vbox`):
 *
 *   <VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux">
 *     <Machine uuid="{...}" name="dev" OSType="Ubuntu_64" currentSnapshot="{...}">
 *       <MediaRegistry><HardDisks>
 *         <HardDisk uuid="{A}" location="dev.vdi" format="VDI" type="Normal">
 *           <HardDisk uuid="{B}" location="Snapshots/{B}.vdi" format="VDI"/>   a differencing child
 *         </HardDisk></HardDisks></MediaRegistry>
 *       <Description>notes</Description>
 *       <Hardware>
 *         <CPU count="2"/> <Memory RAMSize="2048"/> <Firmware type="EFI"/>
 *         <Network><Adapter slot="0" enabled="true" MACAddress="080027AABBCC"><NAT/></Adapter>
 *       </Hardware>
 *       <StorageControllers><StorageController name="SATA">
 *         <AttachedDevice type="HardDisk" port="0" device="0"><Image uuid="{B}"/></AttachedDevice>
 *       </StorageController></StorageControllers>                (inside <Hardware> in newer files)
 *       <Snapshot ...> ...the attachments each snapshot had... </Snapshot>
 *     </Machine>
 *   </VirtualBox>
 *
 * VirtualBox leaves out values at their defaults: no CPU count is 1 CPU, no Firmware is BIOS.
 *
 * Which disk the machine runs on: VirtualBox moves the machine's own attachment to the new
 * differencing image whenever a snapshot is taken, so the attached UUID is normally already
 * the current state's leaf, and is used as is. When it still has children in the media
 * registry and the machine has a current snapshot (a file written by another tool, or an
 * older VirtualBox), the last-listed child is followed down to a leaf: VirtualBox appends
 * new children, so that is the newest branch. Snapshot elements' own attachments are not
 * listed: they are earlier states, not disks of their own.
 */
import type { NetworkAdapter, VmMetadataInfo } from '../../../shared/inventory.js';
import { normalizeGuid, normalizeMac, parseCount } from './identity.js';
import { ConfigFileError } from './scan-collector.js';
import type { XmlNode } from './xml.js';

export interface VboxMedium {
  readonly uuid: string;
  /** As recorded: relative to the .vbox folder, or absolute. */
  readonly location: string;
  /** Lower case: 'vdi', 'vmdk', 'vhd', 'vhdx'... */
  readonly format: string | null;
  readonly parent: string | null;
  readonly children: readonly string[];
}

export interface VboxAttachment {
  readonly uuid: string;
  /** "SATA 0:0": controller name, port, device. */
  readonly slot: string;
}

export interface VboxMachine {
  readonly uuid: string | null;
  readonly name: string | null;
  readonly currentSnapshot: string | null;
  readonly snapshotFolder: string | null;
  readonly metadata: VmMetadataInfo;
  readonly media: ReadonlyMap<string, VboxMedium>;
  readonly attachments: readonly VboxAttachment[];
}

/** Attachment kinds an adapter can have, and the attribute naming what it attaches to. */
const ATTACHMENTS: Record<string, string> = {
  bridgedinterface: 'name',
  internalnetwork: 'name',
  hostonlyinterface: 'name',
  hostonlynetwork: 'name',
  natnetwork: 'name',
  genericinterface: 'driver',
  cloudnetwork: 'name',
};

export function parseVboxMachine(root: XmlNode, file: string): VboxMachine {
  const machine = root.name === 'VirtualBox' ? root.child('Machine') : null;
  if (!machine) {
    throw new ConfigFileError(
      file,
      `is not a VirtualBox machine (expected <VirtualBox><Machine>, found <${root.name}>)`,
    );
  }
  const hardware = machine.child('Hardware');
  const controllers = [
    ...machine.children('StorageControllers'),
    ...(hardware?.children('StorageControllers') ?? []),
  ].flatMap((list) => list.children('StorageController'));
  return {
    uuid: normalizeGuid(machine.attr('uuid')),
    name: machine.attr('name'),
    currentSnapshot: normalizeGuid(machine.attr('currentSnapshot')),
    snapshotFolder: machine.attr('snapshotFolder'),
    metadata: {
      cpus: hardware ? (parseCount(hardware.child('CPU')?.attr('count') ?? null) ?? 1) : null,
      memoryMB: parseCount(hardware?.child('Memory')?.attr('RAMSize') ?? null),
      networkAdapters: (hardware?.at('Network')?.children('Adapter') ?? []).flatMap(adapterOf),
      notes: machine.textAt('Description'),
      os: machine.attr('OSType'),
      firmware: hardware ? firmwareOf(hardware) : null,
    },
    media: mediaRegistry(machine),
    attachments: controllers.flatMap(attachmentsOf),
  };
}

/** The image the machine's current state uses for an attachment (see the note above). */
export function currentImage(machine: VboxMachine, attached: string): string {
  let uuid = attached;
  if (machine.currentSnapshot === null) return uuid;
  for (let depth = 0; depth < 64; depth++) {
    const newest = machine.media.get(uuid)?.children.at(-1);
    if (newest === undefined) break;
    uuid = newest;
  }
  return uuid;
}

/** The registry's parents of an image, nearest first. */
export function registryParents(machine: VboxMachine, uuid: string): VboxMedium[] {
  const parents: VboxMedium[] = [];
  for (let at = machine.media.get(uuid)?.parent; at && parents.length < 64;) {
    const parent = machine.media.get(at);
    if (!parent) break;
    parents.push(parent);
    at = parent.parent;
  }
  return parents;
}

function mediaRegistry(machine: XmlNode): Map<string, VboxMedium> {
  const media = new Map<string, VboxMedium>();
  const visit = (disk: XmlNode, parent: string | null): void => {
    const uuid = normalizeGuid(disk.attr('uuid'));
    const location = disk.attr('location');
    if (!uuid || !location) return;
    const children = disk.children('HardDisk');
    media.set(uuid, {
      uuid,
      location,
      format: disk.attr('format')?.toLowerCase() ?? null,
      parent,
      children: children
        .map((child) => normalizeGuid(child.attr('uuid')))
        .filter((id) => id !== null),
    });
    for (const child of children) visit(child, uuid);
  };
  for (const disk of machine.at('MediaRegistry', 'HardDisks')?.children('HardDisk') ?? []) {
    visit(disk, null);
  }
  return media;
}

function attachmentsOf(controller: XmlNode): VboxAttachment[] {
  const name = controller.attr('name') ?? 'controller';
  return controller
    .children('AttachedDevice')
    .filter((device) => device.attr('type') === 'HardDisk')
    .flatMap((device) => {
      const uuid = normalizeGuid(device.child('Image')?.attr('uuid'));
      const where = `${device.attr('port') ?? '0'}:${device.attr('device') ?? '0'}`;
      return uuid ? [{ uuid, slot: `${name} ${where}` }] : [];
    });
}

function adapterOf(adapter: XmlNode): NetworkAdapter[] {
  if (adapter.attr('enabled') === 'false') return [];
  const slot = parseCount(adapter.attr('slot'));
  let network: string | null = null;
  for (const child of adapter.children()) {
    const kind = child.name.toLowerCase();
    if (kind === 'nat') network = 'NAT';
    else if (ATTACHMENTS[kind]) network = child.attr(ATTACHMENTS[kind]) ?? child.name;
    if (network !== null) break;
  }
  return [
    {
      name: slot === null ? null : `Adapter ${slot + 1}`,
      mac: normalizeMac(adapter.attr('MACAddress')),
      network,
    },
  ];
}

function firmwareOf(hardware: XmlNode): string {
  const firmware = hardware.child('Firmware') ?? hardware.at('Platform', 'Firmware');
  return firmware?.attr('type') ?? 'BIOS';
}
