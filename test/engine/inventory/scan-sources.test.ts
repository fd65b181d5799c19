import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { scanSources } from '../../../electron/engine/inventory/index.js';
import { scratchDir } from '../../helpers/scratch.js';
import { MiB, qemuDisk, source, writeText } from './inventory-fixtures.js';

const APP_GUID = '2d3e4f50-6172-4839-9a4b-5c6d7e8f9012';

const hyperVXml = (
  name: string,
): string => `<?xml version="1.0" encoding="UTF-16" standalone="yes"?>
<configuration>
  <_d422512d-2bf2-4752-809d-7b82b5fcb1b4_0>
    <ChannelInstanceGuid type="string">{11111111-2222-4333-8444-555555555555}</ChannelInstanceGuid>
    <controller0>
      <drive0>
        <pathname type="string">C:\\Hyper-V\\${name}\\Virtual Hard Disks\\${name}.vhdx</pathname>
        <type type="string">VHD</type>
      </drive0>
    </controller0>
  </_d422512d-2bf2-4752-809d-7b82b5fcb1b4_0>
  <properties>
    <name type="string">${name}</name>
    <subtype type="integer">1</subtype>
  </properties>
  <settings>
    <memory><bank><size type="integer">2048</size></bank></memory>
    <processors><count type="integer">2</count></processors>
  </settings>
</configuration>
`;

const domainXml = (disk: string): string => `<domain type='kvm'>
  <name>cache01</name>
  <uuid>7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d</uuid>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
`;

let dir: string;
let cleanup: () => Promise<void>;
const at = (...parts: string[]): string => path.join(dir, ...parts);

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-inventory-sources-'));
  // A Hyper-V VM and its export copy (the export keeps the VM GUID), and a loose folder.
  for (const folder of ['APP01', 'exports/APP01']) {
    await writeText(
      at('store', folder, 'Virtual Machines', `${APP_GUID}.xml`),
      hyperVXml('APP01'),
      'utf16le',
    );
    await qemuDisk(at('store', folder, 'Virtual Hard Disks', 'APP01.vhdx'), 'vhdx');
  }
  await qemuDisk(at('store', 'scratch', 'tmp.raw'), 'raw', MiB);
  await qemuDisk(at('libvirt', 'cache01.img'), 'raw', 2 * MiB);
  await writeText(at('libvirt', 'cache01.xml'), domainXml(at('libvirt', 'cache01.img')));
  await writeText(at('vbox', 'bad.vbox'), '<VirtualBox><Machine name="bad"></VirtualBox>');
});
afterAll(() => cleanup());

describe('scanSources', () => {
  const sources = () => [
    source(1, 'folder', at('store')),
    source(2, 'libvirt', at('no', 'such', 'qemu')),
    source(3, 'virtualbox', at('vbox', 'bad.vbox')),
    source(4, 'libvirt', at('libvirt', 'cache01.xml')),
    // Overlaps source 1: its VM is already listed there.
    source(5, 'folder', at('store', 'scratch')),
  ];

  it('lists the VMs of the good sources and a problem for each bad one', async () => {
    const scan = await scanSources(sources());
    expect(scan.vms.map((vm) => [vm.sourceId, vm.name])).toEqual([
      [1, 'APP01'],
      [1, 'APP01'],
      [1, 'scratch'],
      [4, 'cache01'],
    ]);
    const bySource = new Map(scan.problems.map((problem) => [problem.sourceId, problem]));
    expect(bySource.get(2)).toEqual({
      sourceId: 2,
      path: at('no', 'such', 'qemu'),
      message: `${at('no', 'such', 'qemu')}: cannot open: no such file or folder`,
    });
    expect(bySource.get(3)!.path).toBe(at('vbox', 'bad.vbox'));
    expect(bySource.get(3)!.message).toMatch(
      /bad\.vbox: malformed XML at line 1, column \d+: Expected closing tag 'Machine'/,
    );
  });

  it('gives every VM a unique ID, stable across scans, and says why an ID was changed', async () => {
    const first = await scanSources(sources());
    const second = await scanSources(sources());
    expect(second).toEqual(first);

    const ids = first.vms.map((vm) => vm.id);
    expect(new Set(ids).size).toBe(ids.length);
    const original = at('store', 'APP01', 'Virtual Machines', `${APP_GUID}.xml`);
    const copy = at('store', 'exports', 'APP01', 'Virtual Machines', `${APP_GUID}.xml`);
    const suffix = createHash('sha256').update(copy).digest('hex').slice(0, 8);
    expect(first.vms.slice(0, 2).map((vm) => [vm.configPath, vm.id])).toEqual([
      [original, `hyperv:${APP_GUID}`],
      [copy, `hyperv:${APP_GUID}#${suffix}`],
    ]);
    expect(first.vms[1]!.disks.map((d) => d.path)).toEqual([
      at('store', 'exports', 'APP01', 'Virtual Hard Disks', 'APP01.vhdx'),
    ]);
    const renamed = first.problems.find((problem) => problem.path === copy);
    expect(renamed?.message).toContain(`listed as hyperv:${APP_GUID}#${suffix}`);
  });

  it('lists a VM two overlapping sources find once, under the first source', async () => {
    const scan = await scanSources(sources());
    const scratch = scan.vms.filter((vm) => vm.name === 'scratch');
    expect(scratch.map((vm) => vm.sourceId)).toEqual([1]);
    const note = scan.problems.find((problem) => problem.sourceId === 5);
    expect(note?.message).toContain('is already listed by source 1');
  });

  it('returns an empty scan for no sources', async () => {
    expect(await scanSources([])).toEqual({ vms: [], problems: [] });
  });
});
