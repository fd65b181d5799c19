/**
 * VMs for the restore tests, as their hypervisors lay them out, with real disks made by
 * qemu-img and written by qemu-io: a Hyper-V 2012 R2 folder (generation 2, a VHDX boot disk
 * and a VHD data disk, two adapters) and a libvirt domain (one VHDX disk, one adapter). Both
 * carry VM metadata into their backup images, which a restore needs to write a configuration.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MiB, qemuWrites, seededWrites } from '../../fixtures/vhdx-images.js';
import { qemuImg } from '../../helpers/tools.js';

export { MiB };

export const WEB01_GUID = 'A7D3C9E1-0F2B-4C5D-9E8F-7A6B5C4D3E2F';

export interface HyperVVm {
  readonly folder: string;
  readonly config: string;
  readonly boot: string;
  readonly data: string;
}

/** `<parent>/WEB01`: Virtual Machines/<GUID>.xml (UTF-16LE) and Virtual Hard Disks/. */
export async function makeHyperVVm(parent: string): Promise<HyperVVm> {
  const folder = path.join(parent, 'WEB01');
  const disks = path.join(folder, 'Virtual Hard Disks');
  await mkdir(disks, { recursive: true });
  const boot = path.join(disks, 'web01.vhdx');
  const data = path.join(disks, 'web01-data.vhd');
  await qemuImg('create', '-q', '-f', 'vhdx', boot, String(32 * MiB));
  await qemuImg('create', '-q', '-f', 'vpc', '-o', 'force_size=on', data, String(16 * MiB));
  await qemuWrites(
    parent,
    boot,
    'vhdx',
    seededWrites([
      [0, 2 * MiB, 1],
      [20 * MiB, MiB, 2],
    ]),
  );
  await qemuWrites(parent, data, 'vpc', seededWrites([[MiB, MiB, 3]]));
  const config = path.join(folder, 'Virtual Machines', `${WEB01_GUID}.xml`);
  await mkdir(path.dirname(config), { recursive: true });
  const xml = `<?xml version="1.0" encoding="UTF-16" standalone="yes"?>
<configuration>
  <_d422512d-2bf2-4752-809d-7b82b5fcb1b4_0>
    <ChannelInstanceGuid type="string">{4C9AE9D4-5F4B-4C52-9E3F-1A2B3C4D5E6F}</ChannelInstanceGuid>
    <controller0>
      <drive0>
        <pathname type="string">C:\\Hyper-V\\WEB01\\Virtual Hard Disks\\web01.vhdx</pathname>
        <type type="string">VHD</type>
      </drive0>
      <drive1>
        <pathname type="string">C:\\Hyper-V\\WEB01\\Virtual Hard Disks\\web01-data.vhd</pathname>
        <type type="string">VHD</type>
      </drive1>
    </controller0>
  </_d422512d-2bf2-4752-809d-7b82b5fcb1b4_0>
  <_e5a7d3c2-1b0a-4f9e-8d7c-6b5a4f3e2d1c_0>
    <address type="string">00155D0A1B2C</address>
    <connection><AltSwitchName type="string">External vSwitch</AltSwitchName></connection>
    <friendly_name type="string">Network Adapter</friendly_name>
  </_e5a7d3c2-1b0a-4f9e-8d7c-6b5a4f3e2d1c_0>
  <_e5a7d3c2-1b0a-4f9e-8d7c-6b5a4f3e2d1c_1>
    <address type="string">00155D0A1B2D</address>
    <connection><AltSwitchName type="string">Backup</AltSwitchName></connection>
    <friendly_name type="string">Backup Adapter</friendly_name>
  </_e5a7d3c2-1b0a-4f9e-8d7c-6b5a4f3e2d1c_1>
  <properties>
    <global_id type="string">${WEB01_GUID}</global_id>
    <name type="string">WEB01</name>
    <notes type="string">Intranet web server</notes>
    <subtype type="integer">1</subtype>
  </properties>
  <settings>
    <memory><bank><size type="integer">2048</size></bank></memory>
    <processors><count type="integer">2</count></processors>
  </settings>
</configuration>
`;
  await writeFile(config, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]));
  return { folder, config, boot, data };
}

export const DB01_UUID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';

export interface LibvirtVm {
  readonly config: string;
  readonly disk: string;
}

/** `<parent>/qemu/db01.xml` (a libvirt source folder) naming `<parent>/images/db01.vhdx`. */
export async function makeLibvirtVm(parent: string): Promise<LibvirtVm> {
  const images = path.join(parent, 'images');
  const qemu = path.join(parent, 'qemu');
  await mkdir(images, { recursive: true });
  await mkdir(qemu, { recursive: true });
  const disk = path.join(images, 'db01.vhdx');
  await qemuImg('create', '-q', '-f', 'vhdx', disk, String(24 * MiB));
  await qemuWrites(
    parent,
    disk,
    'vhdx',
    seededWrites([
      [0, MiB, 11],
      [12 * MiB, 2 * MiB, 12],
    ]),
  );
  const config = path.join(qemu, 'db01.xml');
  await writeFile(
    config,
    `<domain type='kvm'>
  <name>db01</name>
  <uuid>${DB01_UUID}</uuid>
  <memory unit='KiB'>4194304</memory>
  <vcpu placement='static'>4</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='vhdx'/>
      <source file='${disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='default'/>
    </interface>
  </devices>
</domain>
`,
  );
  return { config, disk };
}

/** Every file under `dir` (relative paths, sorted); [] when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) await walk(full);
      else found.push(path.relative(dir, full));
    }
  };
  await walk(dir);
  return found.sort();
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
