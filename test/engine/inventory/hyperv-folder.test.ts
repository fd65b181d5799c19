import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { InventoryScan } from '../../../shared/inventory.js';
import { scanSource } from '../../../electron/engine/inventory/index.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import {
  MiB,
  VHD_8M_SIZE,
  avhdx,
  diskAt,
  qemuDisk,
  source,
  vmNamed,
  writeText,
} from './inventory-fixtures.js';

const SQL01 = '5C8E2A1F-3B4D-4E6F-8A9B-0C1D2E3F4A5B';
const LEGACY = '11111111-2222-4333-8444-555555555555';
const WEB01 = 'A7D3C9E1-0F2B-4C5D-9E8F-7A6B5C4D3E2F';
const TWIN_A = 'B0000000-0000-4000-8000-00000000000A';
const TWIN_B = 'B0000000-0000-4000-8000-00000000000B';
const CHECKPOINT = '9F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A';

/** A Hyper-V 2012 R2 generation 2 VM: SCSI only, a checkpointed data disk, a DVD, two NICs. */
const sql01Xml = `<?xml version="1.0" encoding="UTF-16" standalone="yes"?>
<configuration>
  <_d422512d-2bf2-4752-809d-7b82b5fcb1b4_0>
    <ChannelInstanceGuid type="string">{4C9AE9D4-5F4B-4C52-9E3F-1A2B3C4D5E6F}</ChannelInstanceGuid>
    <controller0>
      <drive0>
        <pathname type="string">C:\\Hyper-V\\SQL01\\Virtual Hard Disks\\SQL01.vhdx</pathname>
        <pool_id type="string"></pool_id>
        <type type="string">VHD</type>
      </drive0>
      <drive1>
        <pathname type="string">C:\\Hyper-V\\SQL01\\Virtual Hard Disks\\SQL01-data_${CHECKPOINT}.avhdx</pathname>
        <pool_id type="string"></pool_id>
        <type type="string">VHD</type>
      </drive1>
      <drive2>
        <pathname type="string">D:\\ISO\\en_sql_server_2014.iso</pathname>
        <pool_id type="string"></pool_id>
        <type type="string">ISO</type>
      </drive2>
      <drive3>
        <pathname type="string">C:\\ClusterStorage\\Volume1\\SQL01-logs.vhdx</pathname>
        <pool_id type="string"></pool_id>
        <type type="string">VHD</type>
      </drive3>
    </controller0>
  </_d422512d-2bf2-4752-809d-7b82b5fcb1b4_0>
  <_e5a7d3c2-1b0a-4f9e-8d7c-6b5a4f3e2d1c_0>
    <address type="string">00155D0A1B2C</address>
    <connection>
      <AltPortName type="string">Network Adapter</AltPortName>
      <AltSwitchName type="string">External vSwitch</AltSwitchName>
      <PortName type="string">0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9</PortName>
      <SwitchName type="string">7E8F9A0B-1C2D-4E3F-9051-627384950617</SwitchName>
    </connection>
    <friendly_name type="string">Network Adapter</friendly_name>
    <is_connected type="bool">True</is_connected>
    <isSynthetic type="bool">True</isSynthetic>
  </_e5a7d3c2-1b0a-4f9e-8d7c-6b5a4f3e2d1c_0>
  <_e5a7d3c2-1b0a-4f9e-8d7c-6b5a4f3e2d1c_1>
    <address type="string">000000000000</address>
    <connection>
      <AltPortName type="string"></AltPortName>
      <AltSwitchName type="string"></AltSwitchName>
    </connection>
    <friendly_name type="string">Backup Network</friendly_name>
    <is_connected type="bool">False</is_connected>
  </_e5a7d3c2-1b0a-4f9e-8d7c-6b5a4f3e2d1c_1>
  <properties>
    <creation_time type="bytes">AhsSGtMY0AE=
</creation_time>
    <global_id type="string">${SQL01}</global_id>
    <highly_available type="bool">False</highly_available>
    <name type="string">SQL01</name>
    <notes type="string">Reporting &amp; ledger database
Owner: finance</notes>
    <subtype type="integer">1</subtype>
    <type_id type="string">Virtual Machines</type_id>
    <version type="integer">1280</version>
  </properties>
  <settings>
    <global>
      <logical_id type="string">${SQL01}</logical_id>
    </global>
    <memory>
      <bank>
        <dynamic_memory_enabled type="bool">True</dynamic_memory_enabled>
        <limit type="integer">1048576</limit>
        <reservation type="integer">512</reservation>
        <size type="integer">4096</size>
      </bank>
    </memory>
    <processors>
      <count type="integer">4</count>
      <limit type="integer">100000</limit>
      <reservation type="integer">0</reservation>
      <weight type="integer">100</weight>
    </processors>
  </settings>
</configuration>
`;

/** A Hyper-V 2008 R2 style generation 1 VM (no subtype), its disk on IDE, written as UTF-8. */
const legacyXml = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <_83f8638b-8dca-4152-9eda-2ca8b33039b4_0>
    <controller0>
      <drive0>
        <pathname type="string">E:\\VMs\\LEGACY\\Virtual Hard Disks\\legacy-boot.vhd</pathname>
        <type type="string">VHD</type>
      </drive0>
    </controller0>
  </_83f8638b-8dca-4152-9eda-2ca8b33039b4_0>
  <_83f8638b-8dca-4152-9eda-2ca8b33039b4_1>
    <controller1>
      <drive0>
        <pathname type="string"></pathname>
        <type type="string">NONE</type>
      </drive0>
    </controller1>
  </_83f8638b-8dca-4152-9eda-2ca8b33039b4_1>
  <properties>
    <name type="string">Legacy App</name>
  </properties>
  <settings>
    <memory><bank><size type="integer">1024</size></bank></memory>
    <processors><count type="integer">1</count></processors>
  </settings>
</configuration>
`;

let dir: string;
let cleanup: () => Promise<void>;
let scan: InventoryScan;
const at = (...parts: string[]): string => path.join(dir, 'hyperv', ...parts);

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-inventory-hyperv-'));

  // SQL01: Hyper-V 2012 R2 (.xml), a base disk and a checkpointed data disk.
  await writeText(at('SQL01', 'Virtual Machines', `${SQL01}.xml`), sql01Xml, 'utf16le');
  await writeText(at('SQL01', 'Virtual Machines', SQL01, 'readme.txt'), 'runtime state folder');
  await qemuDisk(at('SQL01', 'Virtual Hard Disks', 'SQL01.vhdx'), 'vhdx', 16 * MiB);
  const data = await qemuDisk(at('SQL01', 'Virtual Hard Disks', 'SQL01-data.vhdx'), 'vhdx');
  await avhdx(at('SQL01', 'Virtual Hard Disks', `SQL01-data_${CHECKPOINT}.avhdx`), data);
  // A checkpoint's own configuration lives in Snapshots/: it is not a VM.
  await writeText(at('SQL01', 'Snapshots', `${CHECKPOINT}.xml`), sql01Xml, 'utf16le');

  await writeText(at('LEGACY', 'Virtual Machines', `${LEGACY}.xml`), legacyXml);
  await qemuDisk(at('LEGACY', 'Virtual Hard Disks', 'legacy-boot.vhd'), 'vpc');

  // WEB01: Hyper-V 2016+ (.vmcx, binary), a checkpoint chain and a second disk.
  await writeText(
    at('WEB01', 'Virtual Machines', `${WEB01}.vmcx`),
    seededBytes(1, 4096).toString('latin1'),
  );
  await writeText(
    at('WEB01', 'Virtual Machines', `${WEB01}.vmrs`),
    seededBytes(2, 4096).toString('latin1'),
  );
  const web = await qemuDisk(at('WEB01', 'Virtual Hard Disks', 'WEB01.vhdx'), 'vhdx');
  await avhdx(at('WEB01', 'Virtual Hard Disks', `WEB01_${CHECKPOINT}.avhdx`), web);
  await qemuDisk(at('WEB01', 'Virtual Hard Disks', 'data.vhd'), 'vpc');

  // TWIN: two .vmcx in one folder: the shared disks cannot be assigned.
  await writeText(at('TWIN', 'Virtual Machines', `${TWIN_A}.vmcx`), 'binary');
  await writeText(at('TWIN', 'Virtual Machines', `${TWIN_B}.vmcx`), 'binary');
  await qemuDisk(at('TWIN', 'Virtual Hard Disks', 'shared.vhdx'), 'vhdx');

  // A loose disk beside the layouts.
  await qemuDisk(at('stray', 'stray.vhdx'), 'vhdx');

  scan = await scanSource(source(3, 'folder', path.join(dir, 'hyperv')));
});
afterAll(() => cleanup());

describe('a folder source over Hyper-V layouts', () => {
  it('lists each configuration once, and the loose folder, and nothing from Snapshots/', () => {
    expect(scan.vms.map((vm) => vm.name).sort()).toEqual([
      'Legacy App',
      'SQL01',
      'TWIN',
      'TWIN',
      'WEB01',
      'stray',
    ]);
    for (const vm of scan.vms) {
      expect(vm.sourceId).toBe(3);
      expect(vm.sourceKind).toBe('folder');
    }
  });

  it('reads a Hyper-V 2012 R2 XML configuration (UTF-16): name, ID and metadata', () => {
    const vm = vmNamed(scan, 'SQL01');
    expect(vm.id).toBe(`hyperv:${SQL01.toLowerCase()}`);
    expect(vm.configPath).toBe(at('SQL01', 'Virtual Machines', `${SQL01}.xml`));
    expect(vm.metadata).toEqual({
      cpus: 4,
      memoryMB: 4096,
      networkAdapters: [
        { name: 'Network Adapter', mac: '00:15:5d:0a:1b:2c', network: 'External vSwitch' },
        { name: 'Backup Network', mac: null, network: null },
      ],
      notes: 'Reporting & ledger database\nOwner: finance',
      os: null,
      firmware: 'generation 2',
    });
  });

  it('finds the recorded Windows disk paths in Virtual Hard Disks/, leaf of each chain first', () => {
    const vm = vmNamed(scan, 'SQL01');
    const disks = at('SQL01', 'Virtual Hard Disks');
    expect(vm.disks.map((d) => d.slot)).toEqual(['scsi 0:0', 'scsi 0:1', 'scsi 0:3']);
    expect(diskAt(vm, path.join(disks, 'SQL01.vhdx'))).toEqual({
      path: path.join(disks, 'SQL01.vhdx'),
      format: 'vhdx',
      virtualSize: 16 * MiB,
      chain: [],
      slot: 'scsi 0:0',
      problem: null,
    });
    const checkpoint = diskAt(vm, path.join(disks, `SQL01-data_${CHECKPOINT}.avhdx`));
    expect(checkpoint).toMatchObject({ format: 'vhdx', virtualSize: 8 * MiB, problem: null });
    expect(checkpoint.chain).toEqual([path.join(disks, 'SQL01-data.vhdx')]);
  });

  it('lists a disk the configuration names but that is not there, with why', () => {
    const vm = vmNamed(scan, 'SQL01');
    const missing = vm.disks.find((d) => d.slot === 'scsi 0:3')!;
    expect(missing.path).toBe(path.join(at('SQL01', 'Virtual Hard Disks'), 'SQL01-logs.vhdx'));
    expect(missing.virtualSize).toBeNull();
    expect(missing.problem).toContain('not found');
    expect(missing.problem).toContain('C:\\ClusterStorage\\Volume1\\SQL01-logs.vhdx');
  });

  it('reads a generation 1 configuration: IDE slots, no generation recorded', () => {
    const vm = vmNamed(scan, 'Legacy App');
    expect(vm.id).toBe(`hyperv:${LEGACY}`);
    expect(vm.metadata).toMatchObject({ cpus: 1, memoryMB: 1024, firmware: null });
    expect(vm.disks).toEqual([
      {
        path: at('LEGACY', 'Virtual Hard Disks', 'legacy-boot.vhd'),
        format: 'vhd',
        virtualSize: VHD_8M_SIZE,
        chain: [],
        slot: 'ide 0:0',
        problem: null,
      },
    ]);
  });

  it('lists a .vmcx VM by its file GUID and folder name, with the leaf disks of its folder', () => {
    const vm = vmNamed(scan, 'WEB01');
    const disks = at('WEB01', 'Virtual Hard Disks');
    expect(vm.id).toBe(`hyperv:${WEB01.toLowerCase()}`);
    expect(vm.configPath).toBe(at('WEB01', 'Virtual Machines', `${WEB01}.vmcx`));
    expect(vm.metadata).toEqual({
      cpus: null,
      memoryMB: null,
      networkAdapters: [],
      notes: null,
      os: null,
      firmware: null,
    });
    // WEB01.vhdx is the checkpoint's parent: in its chain, not a disk of its own.
    expect(vm.disks).toEqual([
      {
        path: path.join(disks, `WEB01_${CHECKPOINT}.avhdx`),
        format: 'vhdx',
        virtualSize: 8 * MiB,
        chain: [path.join(disks, 'WEB01.vhdx')],
        slot: null,
        problem: null,
      },
      {
        path: path.join(disks, 'data.vhd'),
        format: 'vhd',
        virtualSize: VHD_8M_SIZE,
        chain: [],
        slot: null,
        problem: null,
      },
    ]);
  });

  it('lists two .vmcx VMs of one folder without disks, and says why', () => {
    const twins = scan.vms.filter((vm) => vm.name === 'TWIN');
    expect(twins.map((vm) => vm.id).sort()).toEqual([
      `hyperv:${TWIN_A.toLowerCase()}`,
      `hyperv:${TWIN_B.toLowerCase()}`,
    ]);
    for (const twin of twins) expect(twin.disks).toEqual([]);
    expect(scan.problems).toHaveLength(1);
    expect(scan.problems[0]).toMatchObject({ sourceId: 3, path: at('TWIN', 'Virtual Machines') });
    expect(scan.problems[0]!.message).toContain('2 .vmcx');
  });

  it('never lists a Hyper-V disk again as a loose disk', () => {
    const stray = vmNamed(scan, 'stray');
    expect(stray.disks.map((d) => d.path)).toEqual([at('stray', 'stray.vhdx')]);
    const paths = scan.vms.flatMap((vm) => vm.disks.map((d) => d.path));
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).not.toContain(at('TWIN', 'Virtual Hard Disks', 'shared.vhdx'));
    expect(paths).not.toContain(at('SQL01', 'Virtual Hard Disks', 'SQL01-data.vhdx'));
  });
});
