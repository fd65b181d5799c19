/**
 * A libvirt domain XML for a restored VM, the shape libvirt-domain.ts reads (and `virsh
 * define` takes): name, uuid, description, memory in MiB, vcpus, the OS and machine type,
 * one file disk per restored disk and one interface per network adapter.
 *
 * What the image does not record is left to libvirt's defaults (graphics, consoles, the
 * emulator): `virsh define` fills them in. The interface type is guessed from the network's
 * name, since the image records only the name: "user" is user-mode networking, names like
 * br0/virbr0/vmbr0 are bridges, anything else a libvirt network.
 */
import type { WritableFormat } from '../disk/types.js';
import {
  checkVmConfig,
  xmlEscape,
  type ConfigAdapter,
  type ConfigDisk,
  type VmConfig,
} from './vm-config.js';

/** qemu's driver names: VHD is "vpc" to qemu. */
const DRIVER_TYPES: Record<WritableFormat, string> = {
  raw: 'raw',
  vhd: 'vpc',
  'vhd-fixed': 'vpc',
  vhdx: 'vhdx',
};

const BUSES: Record<string, string> = { vd: 'virtio', sd: 'sata', hd: 'ide', xvd: 'xen' };
const TARGET_DEV = /^(vd|sd|hd|xvd)([a-z]+)$/;
const BRIDGE = /^(br|virbr|vmbr|bridge)\S*$/i;

export function libvirtDomainXml(config: VmConfig): string {
  checkVmConfig(config);
  const lines = [
    `<domain type='kvm'>`,
    `  <name>${xmlEscape(config.name)}</name>`,
    `  <uuid>${config.id}</uuid>`,
    ...(config.notes ? [`  <description>${xmlEscape(config.notes)}</description>`] : []),
    ...osinfoLines(config.os),
    `  <memory unit='MiB'>${config.memoryMB}</memory>`,
    `  <currentMemory unit='MiB'>${config.memoryMB}</currentMemory>`,
    `  <vcpu placement='static'>${config.cpus}</vcpu>`,
    ...osLines(config.firmware),
    `  <features><acpi/><apic/></features>`,
    `  <devices>`,
    ...diskLines(config.disks),
    ...config.networkAdapters.flatMap(interfaceLines),
    `  </devices>`,
    `</domain>`,
  ];
  return `${lines.join('\n')}\n`;
}

/** A libosinfo ID (a URL) goes into the metadata; anything else is not one libvirt knows. */
function osinfoLines(os: string | null): string[] {
  if (!os || !/^https?:\/\//.test(os)) return [];
  return [
    `  <metadata>`,
    `    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">`,
    `      <libosinfo:os id="${xmlEscape(os)}"/>`,
    `    </libosinfo:libosinfo>`,
    `  </metadata>`,
  ];
}

/** The recorded firmware is "<machine type> [efi]" (see libvirt-domain.ts). */
function osLines(firmware: string | null): string[] {
  const parts = (firmware ?? '').split(/\s+/).filter(Boolean);
  const efi = parts.some((part) => part.toLowerCase() === 'efi');
  const machine = parts.find((part) => /^(pc|q35|virt|pseries|s390)/i.test(part));
  return [
    `  <os${efi ? ` firmware='efi'` : ''}>`,
    `    <type arch='x86_64'${machine ? ` machine='${xmlEscape(machine)}'` : ''}>hvm</type>`,
    `    <boot dev='hd'/>`,
    `  </os>`,
  ];
}

function diskLines(disks: readonly ConfigDisk[]): string[] {
  const used = new Set<string>();
  const targets = disks.map((disk) => {
    const dev = disk.slot && TARGET_DEV.test(disk.slot) ? disk.slot : null;
    if (dev) used.add(dev);
    return dev;
  });
  // Disks recorded without a libvirt target (from another source kind) get the next free vdX.
  let next = 0;
  const freeDev = (): string => {
    for (;;) {
      const dev = `vd${letters(next++)}`;
      if (!used.has(dev)) {
        used.add(dev);
        return dev;
      }
    }
  };
  return disks.flatMap((disk, i) => {
    const dev = targets[i] ?? freeDev();
    const bus = BUSES[TARGET_DEV.exec(dev)![1]!]!;
    return [
      `    <disk type='file' device='disk'>`,
      `      <driver name='qemu' type='${DRIVER_TYPES[disk.format]}'/>`,
      `      <source file='${xmlEscape(disk.path)}'/>`,
      `      <target dev='${dev}' bus='${bus}'/>`,
      `    </disk>`,
    ];
  });
}

/** 0 → a, 25 → z, 26 → aa: libvirt's disk letters. */
function letters(n: number): string {
  return n < 26 ? String.fromCharCode(97 + n) : letters(Math.floor(n / 26) - 1) + letters(n % 26);
}

function interfaceLines(adapter: ConfigAdapter): string[] {
  const mac = adapter.mac ? [`      <mac address='${adapter.mac}'/>`] : [];
  const model = `      <model type='virtio'/>`;
  const network = adapter.network;
  if (network === null || network === 'user') {
    return [`    <interface type='user'>`, ...mac, model, `    </interface>`];
  }
  const [type, attribute] = BRIDGE.test(network) ? ['bridge', 'bridge'] : ['network', 'network'];
  return [
    `    <interface type='${type}'>`,
    ...mac,
    `      <source ${attribute}='${xmlEscape(network)}'/>`,
    model,
    `    </interface>`,
  ];
}
