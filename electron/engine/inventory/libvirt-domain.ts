/**
 * A libvirt domain XML (`virsh dumpxml`, `/etc/libvirt/qemu/<name>.xml`):
 *
 *   <domain type='kvm'>
 *     <name>web01</name>  <uuid>...</uuid>  <description>notes</description>
 *     <memory unit='KiB'>2097152</memory>  <vcpu current='2'>4</vcpu>
 *     <metadata><libosinfo:libosinfo><libosinfo:os id='http://ubuntu.com/ubuntu/22.04'/>...
 *     <os firmware='efi'><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><loader .../></os>
 *     <devices>
 *       <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
 *         <source file='/var/lib/libvirt/images/web01.qcow2'/><target dev='vda' bus='virtio'/>
 *         <backingStore type='file'><source file='...'/><backingStore/></backingStore></disk>
 *       <interface type='network'><mac address='52:54:00:..'/><source network='default'/>
 *         <target dev='vnet0'/></interface>
 *
 * Memory is converted from its unit (KiB when none) to MiB, which is what the other sources
 * call MB. CPUs are `vcpu current` when set (what the guest runs with), else the vcpu count.
 * The OS is the libosinfo ID when the domain records one, else the `<os><type>` ("hvm");
 * firmware is the machine type, with " efi" when the domain boots UEFI.
 */
import type { NetworkAdapter, VmMetadataInfo } from '../../../shared/inventory.js';
import { normalizeMac, parseCount } from './identity.js';
import { ConfigFileError } from './scan-collector.js';
import type { XmlNode } from './xml.js';

export interface LibvirtDiskRef {
  /** Where the disk is, as the domain records it (a host path); null for network disks. */
  readonly recorded: string | null;
  /** 'file', 'block', 'network', 'volume'... */
  readonly type: string;
  /** The driver type in Tessera's names ('raw', 'vhd', 'vhdx') or libvirt's ('qcow2'...). */
  readonly format: string | null;
  /** The target device ("vda", "sdb"). */
  readonly slot: string | null;
  /** Backing files the domain records, nearest first. */
  readonly backingChain: readonly string[];
  /** For disks without a host path: what the domain says they are. */
  readonly description: string;
}

export interface LibvirtDomain {
  readonly uuid: string | null;
  readonly name: string | null;
  readonly metadata: VmMetadataInfo;
  readonly disks: readonly LibvirtDiskRef[];
}

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  kb: 1e3,
  k: 2 ** 10,
  kib: 2 ** 10,
  mb: 1e6,
  m: 2 ** 20,
  mib: 2 ** 20,
  gb: 1e9,
  g: 2 ** 30,
  gib: 2 ** 30,
  tb: 1e12,
  t: 2 ** 40,
  tib: 2 ** 40,
};

/** libvirt's driver type names mapped to Tessera's where they differ. */
const DRIVER_FORMATS: Record<string, string> = { vpc: 'vhd' };

export function isLibvirtDomain(root: XmlNode): boolean {
  return root.name === 'domain';
}

export function parseLibvirtDomain(root: XmlNode, file: string): LibvirtDomain {
  if (!isLibvirtDomain(root)) {
    throw new ConfigFileError(
      file,
      `is not a libvirt domain (its root element is <${root.name}>, not <domain>)`,
    );
  }
  const devices = root.children('devices');
  return {
    uuid: root.textAt('uuid'),
    name: root.textAt('name'),
    metadata: {
      cpus: vcpus(root.child('vcpu')),
      memoryMB: memoryMB(root.child('memory') ?? root.child('currentMemory')),
      networkAdapters: devices.flatMap((d) => d.children('interface')).map(adapterOf),
      notes: root.textAt('description'),
      os: root.at('metadata', 'libosinfo', 'os')?.attr('id') ?? root.textAt('os', 'type'),
      firmware: firmwareOf(root.child('os')),
    },
    disks: devices
      .flatMap((d) => d.children('disk'))
      .filter((disk) => (disk.attr('device') ?? 'disk') === 'disk')
      .map(diskOf),
  };
}

/** Memory in MiB from a libvirt size element and its unit; null when absent or unknown. */
export function memoryMB(element: XmlNode | null): number | null {
  const value = parseCount(element?.text() ?? null);
  const unit = UNIT_BYTES[(element?.attr('unit') ?? 'KiB').toLowerCase()];
  if (value === null || unit === undefined) return null;
  return Math.round((value * unit) / 2 ** 20);
}

function vcpus(element: XmlNode | null): number | null {
  return parseCount(element?.attr('current') ?? null) ?? parseCount(element?.text() ?? null);
}

function firmwareOf(os: XmlNode | null): string | null {
  if (!os) return null;
  const loader = os.child('loader');
  const efi =
    os.attr('firmware') === 'efi' ||
    loader?.attr('type') === 'pflash' ||
    /ovmf|edk2|efi/i.test(loader?.text() ?? '');
  const parts = [os.child('type')?.attr('machine') ?? null, efi ? 'efi' : null];
  const firmware = parts.filter((part) => part !== null).join(' ');
  return firmware.length > 0 ? firmware : null;
}

function diskOf(disk: XmlNode): LibvirtDiskRef {
  const type = disk.attr('type') ?? 'file';
  const source = disk.child('source');
  const driverType = disk.child('driver')?.attr('type')?.toLowerCase() ?? null;
  const recorded =
    type === 'file'
      ? (source?.attr('file') ?? null)
      : type === 'block'
        ? (source?.attr('dev') ?? null)
        : null;
  const backingChain: string[] = [];
  for (let store = disk.child('backingStore'); store; store = store.child('backingStore')) {
    const file = store.child('source')?.attr('file') ?? store.child('source')?.attr('dev');
    if (file) backingChain.push(file);
  }
  const named = [
    source?.attr('protocol'),
    source?.attr('pool'),
    source?.attr('name'),
    source?.attr('volume'),
  ];
  return {
    recorded,
    type,
    format: driverType ? (DRIVER_FORMATS[driverType] ?? driverType) : null,
    slot: disk.child('target')?.attr('dev') ?? null,
    backingChain,
    description: `a ${type} disk${named.some(Boolean) ? ` (${named.filter(Boolean).join(' ')})` : ''}`,
  };
}

function adapterOf(element: XmlNode): NetworkAdapter {
  const source = element.child('source');
  const type = element.attr('type');
  return {
    name: element.child('target')?.attr('dev') ?? element.child('alias')?.attr('name') ?? null,
    mac: normalizeMac(element.child('mac')?.attr('address') ?? null),
    network:
      source?.attr('network') ??
      source?.attr('bridge') ??
      source?.attr('dev') ??
      (type === 'user' ? 'user' : null),
  };
}
