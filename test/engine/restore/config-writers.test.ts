/**
 * The VM configuration writers, checked by Tessera's own inventory: each writes a
 * configuration beside real disks (qemu-img), then the source scan must read back the name,
 * ID, disks, CPUs, memory, adapters and notes that went in. Bad input is refused with a
 * message naming the field.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryVm } from '../../../shared/inventory.js';
import type { SourceKind } from '../../../shared/policy.js';
import { scanSource } from '../../../electron/engine/inventory/index.js';
import { parseXml, decodeXml } from '../../../electron/engine/inventory/xml.js';
import {
  configFileBytes,
  configPathFor,
  diskFolderFor,
} from '../../../electron/engine/restore/config-files.js';
import { hyperVConfigXml } from '../../../electron/engine/restore/hyperv-writer.js';
import { libvirtDomainXml } from '../../../electron/engine/restore/libvirt-writer.js';
import { vboxMachineXml } from '../../../electron/engine/restore/vbox-writer.js';
import type { VmConfig } from '../../../electron/engine/restore/vm-config.js';
import type { ConfigKind } from '../../../shared/restore.js';
import { scratchDir } from '../../helpers/scratch.js';
import { qemuImg } from '../../helpers/tools.js';

const MiB = 1024 * 1024;
let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await scratchDir('tessera-config-writers-'));
});
afterAll(() => cleanup());

const QEMU_FORMATS = { vhdx: 'vhdx', vhd: 'vpc', 'vhd-fixed': 'vpc', raw: 'raw' } as const;

/** A VM config with its disks in `folder`'s disk folder for `kind`, the disks made by qemu-img. */
async function configIn(
  kind: ConfigKind,
  folder: string,
  overrides: Partial<VmConfig> & { diskSlots?: (string | null)[] } = {},
): Promise<VmConfig> {
  const diskDir = diskFolderFor(kind, folder);
  await mkdir(diskDir, { recursive: true });
  const specs = [
    {
      name: 'boot.vhdx',
      format: 'vhdx' as const,
      identity: '0f8d2a52-3c7e-4b9a-8e11-2f6c0d4b5a71',
    },
    { name: 'data.vhd', format: 'vhd' as const, identity: '5b1e9c44-7a2d-4f63-9d08-c3e2a1b0f9d6' },
  ];
  const disks = [];
  for (const [i, spec] of specs.entries()) {
    const file = path.join(diskDir, spec.name);
    await qemuImg('create', '-q', '-f', QEMU_FORMATS[spec.format], file, String(8 * MiB));
    disks.push({
      path: file,
      format: spec.format,
      slot: overrides.diskSlots?.[i] ?? null,
      identity: spec.identity,
    });
  }
  const { diskSlots: _slots, ...rest } = overrides;
  return {
    name: 'web01 restored',
    id: '7d3c9e10-2f4b-4c5d-9e8f-7a6b5c4d3e2f',
    cpus: 4,
    memoryMB: 6144,
    notes: 'Ledger & reports <finance> "Q4"',
    os: null,
    firmware: null,
    networkAdapters: [],
    disks,
    ...rest,
  };
}

async function scanOne(kind: SourceKind, sourcePath: string): Promise<InventoryVm> {
  const scan = await scanSource({ id: 1, kind, path: sourcePath, name: 's', addedAt: 0 });
  expect(scan.problems).toEqual([]);
  expect(scan.vms).toHaveLength(1);
  return scan.vms[0]!;
}

async function writeConfig(kind: ConfigKind, folder: string, config: VmConfig): Promise<string> {
  const file = configPathFor(kind, folder, config.name, config.id)!;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, configFileBytes(kind, config, file));
  return file;
}

describe('libvirt domain XML', () => {
  it('reads back through the libvirt source: name, uuid, disks and formats, CPUs, memory, NICs, OS, firmware', async () => {
    const folder = path.join(root, 'libvirt');
    const config = await configIn('libvirt', folder, {
      os: 'http://ubuntu.com/ubuntu/22.04',
      firmware: 'pc-q35-7.2 efi',
      diskSlots: ['vdb', null],
      networkAdapters: [
        { name: 'vnet0', mac: '52:54:00:aa:bb:cc', network: 'default' },
        { name: null, mac: '52:54:00:11:22:33', network: 'br0' },
        { name: null, mac: null, network: 'user' },
      ],
    });
    const file = await writeConfig('libvirt', folder, config);
    expect(file).toBe(path.join(folder, 'web01 restored.xml'));
    const vm = await scanOne('libvirt', folder);
    expect(vm).toMatchObject({
      id: `libvirt:${config.id}`,
      name: 'web01 restored',
      configPath: file,
      metadata: {
        cpus: 4,
        memoryMB: 6144,
        notes: config.notes,
        os: 'http://ubuntu.com/ubuntu/22.04',
        firmware: 'pc-q35-7.2 efi',
        networkAdapters: [
          { mac: '52:54:00:aa:bb:cc', network: 'default' },
          { mac: '52:54:00:11:22:33', network: 'br0' },
          { mac: null, network: 'user' },
        ],
      },
    });
    expect(vm.disks.map((d) => [d.path, d.format, d.slot, d.virtualSize, d.problem])).toEqual([
      [config.disks[0]!.path, 'vhdx', 'vdb', 8 * MiB, null],
      // The first free letter: vdb is taken.
      [config.disks[1]!.path, 'vhd', 'vda', expect.any(Number), null],
    ]);
    const text = await readFile(file, 'utf8');
    expect(text).toContain(`<interface type='bridge'>`);
    expect(text).toContain(`<driver name='qemu' type='vpc'/>`);
    expect(text).toContain(`<os firmware='efi'>`);
    expect(libvirtDomainXml(config)).toBe(text); // pure: the same config, the same text
  });
});

describe('VirtualBox .vbox', () => {
  it('reads back through the VirtualBox source, with the media registry naming the disks by identity', async () => {
    const folder = path.join(root, 'vbox');
    const config = await configIn('virtualbox', folder, {
      os: 'Ubuntu_64',
      firmware: 'EFI',
      diskSlots: ['SATA 0:0', 'NVMe 1:0'],
      networkAdapters: [
        { name: 'Adapter 1', mac: '08:00:27:aa:bb:cc', network: 'NAT' },
        { name: 'Adapter 2', mac: '08:00:27:11:22:33', network: 'eth0' },
      ],
    });
    const file = await writeConfig('virtualbox', folder, config);
    expect(file).toBe(path.join(folder, 'web01 restored.vbox'));
    const vm = await scanOne('virtualbox', file);
    expect(vm).toMatchObject({
      id: `vbox:${config.id}`,
      name: 'web01 restored',
      metadata: {
        cpus: 4,
        memoryMB: 6144,
        notes: config.notes,
        os: 'Ubuntu_64',
        firmware: 'EFI',
        networkAdapters: [
          { name: 'Adapter 1', mac: '08:00:27:aa:bb:cc', network: 'NAT' },
          { name: 'Adapter 2', mac: '08:00:27:11:22:33', network: 'eth0' },
        ],
      },
    });
    expect(vm.disks.map((d) => [d.path, d.format, d.slot, d.problem])).toEqual([
      [config.disks[0]!.path, 'vhdx', 'SATA 0:0', null],
      [config.disks[1]!.path, 'vhd', 'NVMe 1:0', null],
    ]);
    const machine = parseXml(await readFile(file, 'utf8'), file).child('Machine')!;
    const media = machine.at('MediaRegistry', 'HardDisks')!.children('HardDisk');
    expect(media.map((m) => [m.attr('uuid'), m.attr('location'), m.attr('format')])).toEqual([
      [`{${config.disks[0]!.identity}}`, 'boot.vhdx', 'VHDX'],
      [`{${config.disks[1]!.identity}}`, 'data.vhd', 'VHD'],
    ]);
    const controllers = machine.child('StorageControllers')!.children('StorageController');
    expect(controllers.map((c) => [c.attr('name'), c.attr('type')])).toEqual([
      ['SATA', 'AHCI'],
      ['NVMe', 'NVMe'],
    ]);
  });

  it('puts disks without a VirtualBox slot on free SATA ports, and far disks by absolute path', async () => {
    const folder = path.join(root, 'vbox-free');
    const config = await configIn('virtualbox', folder, { diskSlots: ['vda', 'SATA 0:0'] });
    const far = { ...config.disks[0]!, path: '/elsewhere/boot.vhdx' };
    const text = vboxMachineXml(
      { ...config, disks: [far, config.disks[1]!] },
      path.join(folder, 'x.vbox'),
    );
    const machine = parseXml(text, 'x.vbox').child('Machine')!;
    expect(
      machine.at('MediaRegistry', 'HardDisks')!.children('HardDisk')[0]!.attr('location'),
    ).toBe('/elsewhere/boot.vhdx');
    // "vda" (a libvirt target) is not a VirtualBox slot, so it goes on the next SATA port.
    const sata = machine.child('StorageControllers')!.children('StorageController');
    expect(sata).toHaveLength(1);
    expect(
      sata[0]!
        .children('AttachedDevice')
        .map((d) => [d.attr('port'), d.child('Image')!.attr('uuid')]),
    ).toEqual([
      ['1', `{${far.identity}}`],
      ['0', `{${config.disks[1]!.identity}}`],
    ]);
  });
});

describe('Hyper-V folder layout', () => {
  it('reads back through the folder source: GUID file name, UTF-16, disks on their controllers, NICs', async () => {
    const folder = path.join(root, 'hyperv', 'WEB01');
    const config = await configIn('hyperv', folder, {
      firmware: 'generation 2',
      diskSlots: ['scsi 0:1', 'ide 0:0'],
      networkAdapters: [
        { name: 'Network Adapter', mac: '00:15:5d:0a:1b:2c', network: 'External vSwitch' },
        { name: 'Backup Network', mac: null, network: null },
      ],
    });
    const file = await writeConfig('hyperv', folder, config);
    expect(file).toBe(path.join(folder, 'Virtual Machines', `${config.id.toUpperCase()}.xml`));
    const bytes = await readFile(file);
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const vm = await scanOne('folder', path.join(root, 'hyperv'));
    expect(vm).toMatchObject({
      id: `hyperv:${config.id}`,
      name: 'web01 restored',
      configPath: file,
      metadata: {
        cpus: 4,
        memoryMB: 6144,
        notes: config.notes,
        firmware: 'generation 2',
        networkAdapters: [
          { name: 'Network Adapter', mac: '00:15:5d:0a:1b:2c', network: 'External vSwitch' },
          { name: 'Backup Network', mac: null, network: null },
        ],
      },
    });
    // A generation 2 VM has no IDE: the disk recorded on IDE goes to the next free SCSI slot.
    expect(vm.disks.map((d) => [d.path, d.slot, d.format, d.problem])).toEqual([
      [config.disks[1]!.path, 'scsi 0:0', 'vhd', null],
      [config.disks[0]!.path, 'scsi 0:1', 'vhdx', null],
    ]);
    expect(hyperVConfigXml(config)).toBe(decodeXml(bytes));
  });

  it('puts a generation 1 boot disk on IDE 0:0 and the others on SCSI', () => {
    const disks = [
      {
        path: '/vm/a.vhdx',
        format: 'vhdx' as const,
        slot: null,
        identity: '0f8d2a52-3c7e-4b9a-8e11-2f6c0d4b5a71',
      },
      {
        path: '/vm/b.vhdx',
        format: 'vhdx' as const,
        slot: 'sda',
        identity: '5b1e9c44-7a2d-4f63-9d08-c3e2a1b0f9d6',
      },
    ];
    const text = hyperVConfigXml({
      name: 'gen1',
      id: '7d3c9e10-2f4b-4c5d-9e8f-7a6b5c4d3e2f',
      cpus: 1,
      memoryMB: 512,
      notes: null,
      os: null,
      firmware: 'generation 1',
      networkAdapters: [],
      disks,
    });
    const root = parseXml(text, 'gen1.xml');
    expect(
      root.textAt('_83f8638b-8dca-4152-9eda-2ca8b33039b4_0', 'controller0', 'drive0', 'pathname'),
    ).toBe('/vm/a.vhdx');
    expect(
      root.textAt('_d422512d-2bf2-4752-809d-7b82b5fcb1b4_0', 'controller0', 'drive0', 'pathname'),
    ).toBe('/vm/b.vhdx');
    expect(root.textAt('properties', 'subtype')).toBe('0');
  });
});

describe('bad input', () => {
  const good = (): VmConfig => ({
    name: 'vm',
    id: '7d3c9e10-2f4b-4c5d-9e8f-7a6b5c4d3e2f',
    cpus: 1,
    memoryMB: 512,
    notes: null,
    os: null,
    firmware: null,
    networkAdapters: [{ name: null, mac: '52:54:00:aa:bb:cc', network: 'default' }],
    disks: [
      {
        path: '/vm/a.raw',
        format: 'raw',
        slot: null,
        identity: '0f8d2a52-3c7e-4b9a-8e11-2f6c0d4b5a71',
      },
    ],
  });
  const disk = good().disks[0]!;
  it.each([
    ['a name with a slash', { name: 'a/b' }, 'the name "a/b" is not usable'],
    ['an empty name', { name: '' }, 'the name "" is not usable'],
    ['a name with a newline', { name: 'a\nb' }, 'the name "a\\nb" is not usable'],
    ['an ID that is no GUID', { id: 'web01' }, 'the VM ID "web01" is not a lower-case GUID'],
    [
      'an upper-case ID',
      { id: '7D3C9E10-2F4B-4C5D-9E8F-7A6B5C4D3E2F' },
      'the VM ID "7D3C9E10-2F4B-4C5D-9E8F-7A6B5C4D3E2F" is not a lower-case GUID',
    ],
    ['no CPUs', { cpus: 0 }, '0 CPUs: a VM has 1 to 1024'],
    ['a fraction of a CPU', { cpus: 1.5 }, '1.5 CPUs'],
    [
      'too little memory',
      { memoryMB: 2 },
      '2 MiB of memory: a VM needs a whole number of at least 4',
    ],
    [
      'a relative disk path',
      { disks: [{ ...disk, path: 'a.raw' }] },
      'disk 0 path "a.raw" is not absolute',
    ],
    ['one disk twice', { disks: [disk, disk] }, 'two disks are the same file /vm/a.raw'],
    [
      'a disk identity that is no GUID',
      { disks: [{ ...disk, identity: 'x' }] },
      'disk 0 identity "x" is not a GUID',
    ],
    [
      'a MAC that is not six pairs',
      { networkAdapters: [{ name: null, mac: '52:54:00:aa:bb', network: null }] },
      'network adapter 0 MAC address "52:54:00:aa:bb" is not six hex pairs',
    ],
  ] as const)('refuses %s in every writer', (_what, change, message) => {
    const config = { ...good(), ...change } as VmConfig;
    for (const write of [
      () => libvirtDomainXml(config),
      () => vboxMachineXml(config, '/vm/vm.vbox'),
      () => hyperVConfigXml(config),
    ]) {
      expect(write).toThrow(`cannot write the VM configuration: ${message}`);
    }
  });

  it('writes what a hostile name or note holds as text, never as markup', () => {
    const config = { ...good(), name: `x'><evil a="1`, notes: ']]><script/>&amp;' };
    const libvirt = parseXml(libvirtDomainXml(config), 'a.xml');
    expect([libvirt.textAt('name'), libvirt.textAt('description')]).toEqual([
      config.name,
      config.notes,
    ]);
    expect(libvirt.child('evil')).toBeNull();
    const vbox = parseXml(vboxMachineXml(config, '/vm/a.vbox'), 'a.vbox').child('Machine')!;
    expect([vbox.attr('name'), vbox.textAt('Description')]).toEqual([config.name, config.notes]);
    const hyperv = parseXml(hyperVConfigXml(config), 'a-hv.xml');
    expect([hyperv.textAt('properties', 'name'), hyperv.textAt('properties', 'notes')]).toEqual([
      config.name,
      config.notes,
    ]);
  });
});
