/**
 * Where a restored VM's configuration goes inside its target folder, and its bytes, per
 * source type: the layouts Tessera's own inventory reads back.
 *
 *   libvirt      <folder>/<name>.xml                  disks in <folder>
 *   virtualbox   <folder>/<name>.vbox                 disks in <folder>
 *   hyperv       <folder>/Virtual Machines/<GUID>.xml disks in <folder>/Virtual Hard Disks
 *   folder       (no configuration)                   disks in <folder>
 */
import path from 'node:path';
import type { ConfigKind } from '../../../shared/restore.js';
import { hyperVConfigBytes, hyperVConfigXml } from './hyperv-writer.js';
import { libvirtDomainXml } from './libvirt-writer.js';
import { vboxMachineXml } from './vbox-writer.js';
import type { VmConfig } from './vm-config.js';

/** The folder a restored VM's disks go into by default. */
export function diskFolderFor(kind: ConfigKind, folder: string): string {
  return kind === 'hyperv' ? path.join(folder, 'Virtual Hard Disks') : folder;
}

/** The configuration file of a VM restored into `folder`; null for a folder of disks. */
export function configPathFor(
  kind: ConfigKind,
  folder: string,
  name: string,
  id: string,
): string | null {
  switch (kind) {
    case 'libvirt':
      return path.join(folder, `${name}.xml`);
    case 'virtualbox':
      return path.join(folder, `${name}.vbox`);
    case 'hyperv':
      return path.join(folder, 'Virtual Machines', `${id.toUpperCase()}.xml`);
    case 'folder':
      return null;
  }
}

/** The configuration file's bytes (Hyper-V's in UTF-16LE, the others UTF-8). */
export function configFileBytes(kind: ConfigKind, config: VmConfig, configPath: string): Buffer {
  switch (kind) {
    case 'libvirt':
      return Buffer.from(libvirtDomainXml(config), 'utf8');
    case 'virtualbox':
      return Buffer.from(vboxMachineXml(config, configPath), 'utf8');
    case 'hyperv':
      return hyperVConfigBytes(hyperVConfigXml(config));
    case 'folder':
      return Buffer.alloc(0);
  }
}

/** Disk formats each source type can attach. */
export const ATTACHABLE_FORMATS: Readonly<Record<ConfigKind, readonly string[]>> = {
  libvirt: ['vhdx', 'vhd-fixed', 'vhd', 'raw'],
  virtualbox: ['vhdx', 'vhd-fixed', 'vhd', 'raw'],
  hyperv: ['vhdx', 'vhd-fixed', 'vhd'],
  folder: ['vhdx', 'vhd-fixed', 'vhd', 'raw'],
};
