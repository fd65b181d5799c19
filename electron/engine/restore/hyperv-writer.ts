/**
 * A Hyper-V 2012 R2 VM configuration (`Virtual Machines/<VM GUID>.xml`, UTF-16LE with a byte
 * order mark) for a restored VM, the shape hyperv-xml.ts reads. Hyper-V 2016 and later keep
 * binary .vmcx files, which Tessera cannot write; they import 2012 R2 configurations
 * (Import-VM) and upgrade them. The file is named after the VM GUID, which is the VM ID the
 * folder inventory reads.
 *
 * Disks keep their recorded "ide 0:1" / "scsi 0:3" slots; disks without one go on IDE 0 for a
 * generation 1 VM (its boot disk must be IDE) and on the SCSI controller otherwise.
 */
import { createHash } from 'node:crypto';
import {
  bareMac,
  checkVmConfig,
  xmlEscape,
  type ConfigAdapter,
  type ConfigDisk,
  type VmConfig,
} from './vm-config.js';

const IDE_CONTROLLER = '83f8638b-8dca-4152-9eda-2ca8b33039b4';
const SCSI_CONTROLLER = 'd422512d-2bf2-4752-809d-7b82b5fcb1b4';
/** The synthetic network adapter's device class, as Hyper-V 2012 R2 names its elements. */
const SYNTHETIC_NIC = 'e5a7d3c2-1b0a-4f9e-8d7c-6b5a4f3e2d1c';

const SLOT = /^(ide|scsi)\s+(\d+):(\d+)$/i;

interface Placed {
  readonly bus: 'ide' | 'scsi';
  readonly controller: number;
  readonly drive: number;
  readonly disk: ConfigDisk;
}

/** The configuration's text (encode with hyperVConfigBytes). */
export function hyperVConfigXml(config: VmConfig): string {
  checkVmConfig(config);
  const generation2 = /generation 2/i.test(config.firmware ?? '');
  const placed = placeDisks(config.disks, generation2);
  const lines = [
    `<?xml version="1.0" encoding="UTF-16" standalone="yes"?>`,
    `<configuration>`,
    ...busLines('ide', placed, config.id),
    ...busLines('scsi', placed, config.id),
    ...config.networkAdapters.flatMap(adapterLines),
    `  <properties>`,
    `    <global_id type="string">${config.id.toUpperCase()}</global_id>`,
    `    <name type="string">${xmlEscape(config.name)}</name>`,
    `    <notes type="string">${xmlEscape(config.notes ?? '')}</notes>`,
    `    <subtype type="integer">${generation2 ? 1 : 0}</subtype>`,
    `    <type_id type="string">Virtual Machines</type_id>`,
    `    <version type="integer">1280</version>`,
    `  </properties>`,
    `  <settings>`,
    `    <global>`,
    `      <logical_id type="string">${config.id.toUpperCase()}</logical_id>`,
    `    </global>`,
    `    <memory>`,
    `      <bank>`,
    `        <dynamic_memory_enabled type="bool">False</dynamic_memory_enabled>`,
    `        <size type="integer">${config.memoryMB}</size>`,
    `      </bank>`,
    `    </memory>`,
    `    <processors>`,
    `      <count type="integer">${config.cpus}</count>`,
    `    </processors>`,
    `  </settings>`,
    `</configuration>`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** Hyper-V writes its XML as UTF-16LE with a byte order mark. */
export function hyperVConfigBytes(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

function placeDisks(disks: readonly ConfigDisk[], generation2: boolean): Placed[] {
  const taken = new Set<string>();
  const slots = disks.map((disk) => {
    const match = disk.slot ? SLOT.exec(disk.slot) : null;
    const bus = match?.[1]!.toLowerCase() as 'ide' | 'scsi' | undefined;
    // A generation 2 VM has no IDE controller.
    if (!match || !bus || (generation2 && bus === 'ide')) return null;
    const key = `${bus} ${match[2]}:${match[3]}`;
    if (taken.has(key)) return null;
    taken.add(key);
    return { bus, controller: Number(match[2]), drive: Number(match[3]) };
  });
  const free = (
    bus: 'ide' | 'scsi',
  ): { bus: 'ide' | 'scsi'; controller: number; drive: number } => {
    // IDE: two controllers of two drives; SCSI: one controller of 64.
    const limit = bus === 'ide' ? 4 : 64;
    for (let n = 0; n < limit; n++) {
      const controller = bus === 'ide' ? Math.floor(n / 2) : 0;
      const drive = bus === 'ide' ? n % 2 : n;
      if (!taken.has(`${bus} ${controller}:${drive}`)) {
        taken.add(`${bus} ${controller}:${drive}`);
        return { bus, controller, drive };
      }
    }
    return free('scsi');
  };
  return disks.map((disk, i) => ({
    ...(slots[i] ?? free(generation2 || i > 0 ? 'scsi' : 'ide')),
    disk,
  }));
}

function busLines(bus: 'ide' | 'scsi', placed: readonly Placed[], vmId: string): string[] {
  const onBus = placed.filter((p) => p.bus === bus);
  if (onBus.length === 0) return [];
  const element = `_${bus === 'ide' ? IDE_CONTROLLER : SCSI_CONTROLLER}_0`;
  const controllers = [...new Set(onBus.map((p) => p.controller))].sort((a, b) => a - b);
  return [
    `  <${element}>`,
    ...(bus === 'scsi'
      ? [`    <ChannelInstanceGuid type="string">{${channelGuidOf(vmId)}}</ChannelInstanceGuid>`]
      : []),
    ...controllers.flatMap((controller) => [
      `    <controller${controller}>`,
      ...onBus
        .filter((p) => p.controller === controller)
        .sort((a, b) => a.drive - b.drive)
        .flatMap((p) => [
          `      <drive${p.drive}>`,
          `        <pathname type="string">${xmlEscape(p.disk.path)}</pathname>`,
          `        <type type="string">VHD</type>`,
          `      </drive${p.drive}>`,
        ]),
      `    </controller${controller}>`,
    ]),
    `  </${element}>`,
  ];
}

function adapterLines(adapter: ConfigAdapter, index: number): string[] {
  const element = `_${SYNTHETIC_NIC}_${index}`;
  return [
    `  <${element}>`,
    `    <address type="string">${adapter.mac ? bareMac(adapter.mac) : '000000000000'}</address>`,
    `    <connection>`,
    `      <AltSwitchName type="string">${xmlEscape(adapter.network ?? '')}</AltSwitchName>`,
    `    </connection>`,
    `    <friendly_name type="string">${xmlEscape(adapter.name ?? 'Network Adapter')}</friendly_name>`,
    `    <is_connected type="bool">${adapter.network ? 'True' : 'False'}</is_connected>`,
    `    <isSynthetic type="bool">True</isSynthetic>`,
    `  </${element}>`,
  ];
}

/** The SCSI channel's instance GUID, derived from the VM's so the same VM writes the same file. */
function channelGuidOf(vmId: string): string {
  const hex = createHash('sha256').update(`scsi-channel:${vmId}`).digest('hex');
  const v4 = `${hex.slice(0, 12)}4${hex.slice(13, 16)}8${hex.slice(17, 32)}`;
  return `${v4.slice(0, 8)}-${v4.slice(8, 12)}-${v4.slice(12, 16)}-${v4.slice(16, 20)}-${v4.slice(20)}`.toUpperCase();
}
