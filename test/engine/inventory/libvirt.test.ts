import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { InventoryScan } from '../../../shared/inventory.js';
import { scanSource } from '../../../electron/engine/inventory/index.js';
import { qemuImg } from '../../helpers/tools.js';
import { scratchDir } from '../../helpers/scratch.js';
import {
  MiB,
  VHD_8M_SIZE,
  diskAt,
  qemuDisk,
  source,
  vmNamed,
  writeText,
} from './inventory-fixtures.js';

const WEB01_UUID = '3f2b8c1e-7d4a-4e9b-a1c2-5d6e7f8a9b0c';
const DB01_UUID = 'C0FFEE00-1234-4ABC-9DEF-0123456789AB';

let dir: string;
let cleanup: () => Promise<void>;
let qemuDir: string;
let images: string;
let scan: InventoryScan;

const web01Xml = (): string => `<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh edit web01
or other application using the libvirt API.
-->

<domain type='kvm'>
  <name>web01</name>
  <uuid>${WEB01_UUID}</uuid>
  <title>Web front end</title>
  <description>nginx + php-fpm
owner: web team</description>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://ubuntu.com/ubuntu/22.04"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='KiB'>4194304</memory>
  <currentMemory unit='KiB'>4194304</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source file='${images}/web01-root.img'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='${images}/web01-data.qcow2'/>
      <backingStore type='file'>
        <format type='qcow2'/>
        <source file='${images}/ubuntu-base.qcow2'/>
        <backingStore/>
      </backingStore>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw'/>
      <source protocol='rbd' name='libvirt-pool/web01-cache'>
        <host name='ceph-mon1' port='6789'/>
      </source>
      <target dev='vdc' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='vhdx'/>
      <source file='${images}/web01-logs.vhdx'/>
      <target dev='sda' bus='scsi'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/ubuntu-22.04-live-server-amd64.iso'/>
      <target dev='sdb' bus='sata'/>
      <readonly/>
    </disk>
    <controller type='usb' index='0' model='qemu-xhci'/>
    <interface type='network'>
      <mac address='52:54:00:6B:3C:1D'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <interface type='bridge'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source bridge='br0'/>
      <target dev='vnet3'/>
      <model type='e1000e'/>
    </interface>
  </devices>
</domain>
`;

const db01Xml = (): string => `<domain type='kvm'>
  <name>db01</name>
  <uuid>${DB01_UUID}</uuid>
  <memory unit='GiB'>8</memory>
  <vcpu>8</vcpu>
  <os>
    <type arch='x86_64' machine='pc-i440fx-6.2'>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='vpc'/>
      <source file='${images}/db01.vhd'/>
      <target dev='hda' bus='ide'/>
    </disk>
    <disk type='file' device='floppy'>
      <source file='${images}/drivers.img'/>
      <target dev='fda' bus='fdc'/>
    </disk>
    <interface type='user'>
      <mac address='52:54:00:12:34:56'/>
    </interface>
  </devices>
</domain>
`;

const networkXml = `<network>
  <name>default</name>
  <uuid>9a05da11-e96b-47f3-8253-a3a482e445f5</uuid>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
</network>
`;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-inventory-libvirt-'));
  qemuDir = path.join(dir, 'etc', 'libvirt', 'qemu');
  images = path.join(dir, 'images');
  await qemuDisk(path.join(images, 'web01-root.img'), 'raw', 20 * MiB);
  const base = await qemuDisk(path.join(images, 'ubuntu-base.qcow2'), 'qcow2', 32 * MiB);
  await qemuImg(
    'create',
    '-q',
    '-f',
    'qcow2',
    '-b',
    base,
    '-F',
    'qcow2',
    path.join(images, 'web01-data.qcow2'),
  );
  await qemuDisk(path.join(images, 'web01-logs.vhdx'), 'vhdx', 12 * MiB);
  await qemuDisk(path.join(images, 'db01.vhd'), 'vpc');

  await writeText(path.join(qemuDir, 'web01.xml'), web01Xml());
  await writeText(path.join(qemuDir, 'db01.xml'), db01Xml());
  await writeText(path.join(qemuDir, 'broken.xml'), db01Xml().replace('</vcpu>', '</vcpus>'));
  await writeText(path.join(qemuDir, 'networks', 'default.xml'), networkXml);
  await writeText(path.join(qemuDir, 'not-a-domain.xml'), networkXml);
  await mkdir(path.join(qemuDir, 'autostart'));
  await symlink(path.join(qemuDir, 'web01.xml'), path.join(qemuDir, 'autostart', 'web01.xml'));

  scan = await scanSource(source(7, 'libvirt', qemuDir));
});
afterAll(() => cleanup());

describe('a libvirt source', () => {
  it('lists each domain of the folder once (not networks/ or autostart/ links)', () => {
    expect(scan.vms.map((vm) => [vm.name, vm.id])).toEqual([
      ['db01', `libvirt:${DB01_UUID.toLowerCase()}`],
      ['web01', `libvirt:${WEB01_UUID}`],
    ]);
    expect(scan.vms.every((vm) => vm.sourceId === 7 && vm.sourceKind === 'libvirt')).toBe(true);
  });

  it('reads the metadata: memory in MB from its unit, vcpus, description, OS and firmware', () => {
    const web01 = vmNamed(scan, 'web01');
    expect(web01.configPath).toBe(path.join(qemuDir, 'web01.xml'));
    expect(web01.metadata).toEqual({
      cpus: 2,
      memoryMB: 4096,
      networkAdapters: [
        { name: null, mac: '52:54:00:6b:3c:1d', network: 'default' },
        { name: 'vnet3', mac: '52:54:00:aa:bb:cc', network: 'br0' },
      ],
      notes: 'nginx + php-fpm\nowner: web team',
      os: 'http://ubuntu.com/ubuntu/22.04',
      firmware: 'pc-q35-7.2 efi',
    });
    expect(vmNamed(scan, 'db01').metadata).toEqual({
      cpus: 8,
      memoryMB: 8192,
      networkAdapters: [{ name: null, mac: '52:54:00:12:34:56', network: 'user' }],
      notes: null,
      os: 'hvm',
      firmware: 'pc-i440fx-6.2',
    });
  });

  it('lists file disks by target (no cdrom or floppy), opened for format and size', () => {
    const web01 = vmNamed(scan, 'web01');
    expect(web01.disks.map((d) => d.slot)).toEqual(['vda', 'vdb', 'sda']);
    expect(diskAt(web01, path.join(images, 'web01-root.img'))).toEqual({
      path: path.join(images, 'web01-root.img'),
      format: 'raw',
      virtualSize: 20 * MiB,
      chain: [],
      slot: 'vda',
      problem: null,
    });
    expect(diskAt(web01, path.join(images, 'web01-logs.vhdx'))).toMatchObject({
      format: 'vhdx',
      virtualSize: 12 * MiB,
      problem: null,
    });
    expect(vmNamed(scan, 'db01').disks).toEqual([
      {
        path: path.join(images, 'db01.vhd'),
        format: 'vhd',
        virtualSize: VHD_8M_SIZE,
        chain: [],
        slot: 'hda',
        problem: null,
      },
    ]);
  });

  it('lists a qcow2 disk with a problem and the backing chain the domain records', () => {
    const data = diskAt(vmNamed(scan, 'web01'), path.join(images, 'web01-data.qcow2'));
    expect(data).toMatchObject({
      format: 'qcow2',
      virtualSize: null,
      chain: [path.join(images, 'ubuntu-base.qcow2')],
      slot: 'vdb',
    });
    expect(data.problem).toContain('QCOW2 images are not read by Tessera yet');
  });

  it('reports the malformed file and the network disk as problems, naming file and reason', () => {
    expect(scan.problems).toHaveLength(2);
    const [broken, network] = [...scan.problems].sort((a, b) => a.path.localeCompare(b.path));
    expect(broken!.path).toBe(path.join(qemuDir, 'broken.xml'));
    expect(broken!.message).toMatch(/broken\.xml: malformed XML at line 5, column \d+: .*vcpu/);
    expect(network!.path).toBe(path.join(qemuDir, 'web01.xml'));
    expect(network!.message).toContain('disk vdc is a network disk (rbd libvirt-pool/web01-cache)');
  });

  it('reads one domain file given directly, and refuses a file that is not a domain', async () => {
    const single = await scanSource(source(8, 'libvirt', path.join(qemuDir, 'db01.xml')));
    expect(single.vms.map((vm) => vm.id)).toEqual([`libvirt:${DB01_UUID.toLowerCase()}`]);
    expect(single.vms[0]!.disks).toEqual(vmNamed(scan, 'db01').disks);

    const network = path.join(qemuDir, 'not-a-domain.xml');
    const notDomain = await scanSource(source(8, 'libvirt', network));
    expect(notDomain).toEqual({
      vms: [],
      problems: [
        {
          sourceId: 8,
          path: network,
          message: `${network}: is not a libvirt domain (its root element is <network>, not <domain>)`,
        },
      ],
    });
  });
});
