import { describe, expect, it } from 'vitest';
import { formatFromName } from '../../../electron/engine/inventory/disk-inspect.js';
import { parseHyperVXml } from '../../../electron/engine/inventory/hyperv-xml.js';
import { normalizeGuid, normalizeMac, vmId } from '../../../electron/engine/inventory/identity.js';
import { memoryMB } from '../../../electron/engine/inventory/libvirt-domain.js';
import { candidatePaths } from '../../../electron/engine/inventory/locate.js';
import {
  currentImage,
  parseVboxMachine,
} from '../../../electron/engine/inventory/virtualbox-machine.js';
import { decodeXml, parseXml } from '../../../electron/engine/inventory/xml.js';

describe('identity helpers', () => {
  it('normalises GUIDs with or without braces, and refuses anything else', () => {
    expect(normalizeGuid('{6B0A1F3E-2C4D-4E5F-8A9B-0C1D2E3F4A5B}')).toBe(
      '6b0a1f3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b',
    );
    expect(normalizeGuid(' 6b0a1f3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b ')).toBe(
      '6b0a1f3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b',
    );
    expect(normalizeGuid('vm.xml')).toBeNull();
    expect(normalizeGuid(null)).toBeNull();
  });

  it('derives an ID from the path when there is no GUID, the same every time', () => {
    expect(vmId('libvirt', null, '/etc/libvirt/qemu/a.xml')).toMatch(/^libvirt:[0-9a-f]{16}$/);
    expect(vmId('libvirt', null, '/etc/libvirt/qemu/a.xml')).toBe(
      vmId('libvirt', 'not a uuid', '/etc/libvirt/qemu/a.xml'),
    );
    expect(vmId('vbox', '{0F1E2D3C-4B5A-4697-8877-665544332211}', '/x')).toBe(
      'vbox:0f1e2d3c-4b5a-4697-8877-665544332211',
    );
  });

  it('writes MAC addresses one way, whatever the source wrote', () => {
    expect(normalizeMac('00155D0A1B2C')).toBe('00:15:5d:0a:1b:2c');
    expect(normalizeMac('00-15-5D-0A-1B-2C')).toBe('00:15:5d:0a:1b:2c');
    expect(normalizeMac('52:54:00:AA:BB:CC')).toBe('52:54:00:aa:bb:cc');
    expect(normalizeMac('000000000000')).toBeNull();
    expect(normalizeMac('dynamic')).toBe('dynamic');
    expect(normalizeMac(null)).toBeNull();
  });
});

describe('libvirt memory units', () => {
  const element = (xml: string) => parseXml(xml, 'memory.xml');

  it('converts every libvirt unit to MiB, KiB when none is given', () => {
    expect(memoryMB(element('<memory>1048576</memory>'))).toBe(1024);
    expect(memoryMB(element("<memory unit='KiB'>2097152</memory>"))).toBe(2048);
    expect(memoryMB(element("<memory unit='M'>512</memory>"))).toBe(512);
    expect(memoryMB(element("<memory unit='GiB'>4</memory>"))).toBe(4096);
    expect(memoryMB(element("<memory unit='b'>1073741824</memory>"))).toBe(1024);
    expect(memoryMB(element("<memory unit='GB'>1</memory>"))).toBe(954);
  });

  it('gives null for an unknown unit or a value that is not a number', () => {
    expect(memoryMB(element("<memory unit='furlongs'>4</memory>"))).toBeNull();
    expect(memoryMB(element('<memory>lots</memory>'))).toBeNull();
    expect(memoryMB(null)).toBeNull();
  });
});

describe('XML decoding and parsing', () => {
  const xml = '<?xml version="1.0"?><a><b x="1">é</b></a>';

  it('decodes UTF-8 (with or without BOM) and UTF-16 in either byte order', () => {
    const le = Buffer.from(xml, 'utf16le');
    const be = Buffer.from(le).swap16();
    expect(decodeXml(Buffer.from(xml))).toBe(xml);
    expect(decodeXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)]))).toBe(xml);
    expect(decodeXml(Buffer.concat([Buffer.from([0xff, 0xfe]), le]))).toBe(xml);
    expect(decodeXml(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toBe(xml);
    expect(decodeXml(le)).toBe(xml);
    expect(decodeXml(be)).toBe(xml);
  });

  it('names the file, line and column of malformed XML', () => {
    expect(() => parseXml('<a>\n  <b>\n</a>', '/cfg/x.xml')).toThrow(
      /^\/cfg\/x\.xml: malformed XML at line 3, column \d+: Expected closing tag 'b'/,
    );
  });

  it('looks elements and attributes up without regard to case', () => {
    const root = parseXml('<Root><Child Name="v">t</Child><child>u</child></Root>', 'x.xml');
    expect(root.children('CHILD').map((c) => c.text())).toEqual(['t', 'u']);
    expect(root.child('child')?.attr('name')).toBe('v');
    expect(root.textAt('missing', 'deeper')).toBeNull();
  });
});

describe('finding recorded disk paths', () => {
  it('tries a relative path first, then the file name in each disk folder', () => {
    expect(
      candidatePaths('Snapshots\\{b}.vdi', '/vms/dev', ['/vms/dev', '/vms/dev/Snapshots']),
    ).toEqual(['/vms/dev/Snapshots/{b}.vdi', '/vms/dev/{b}.vdi']);
  });

  it('never tries a Windows absolute path as a local path', () => {
    expect(
      candidatePaths('C:\\Hyper-V\\VM1\\disk.vhdx', '/store/VM1', [
        '/store/VM1/Virtual Hard Disks',
      ]),
    ).toEqual(['/store/VM1/Virtual Hard Disks/disk.vhdx']);
    expect(candidatePaths('/srv/images/a.img', '/etc/libvirt/qemu', ['/etc/libvirt/qemu'])).toEqual(
      ['/srv/images/a.img', '/etc/libvirt/qemu/a.img'],
    );
  });

  it('names the format of a disk it could not open from its extension', () => {
    expect(['a.avhdx', 'b.vhd', 'c.img', 'd.raw', 'e.VHDX', 'f.qcow2'].map(formatFromName)).toEqual(
      ['vhdx', 'vhd', 'raw', 'raw', 'vhdx', 'qcow2'],
    );
  });
});

describe('tolerant configuration parsing', () => {
  it('finds Hyper-V drives under controllers it does not know, by file extension when untyped', () => {
    const root = parseXml(
      `<configuration>
        <_00000000-aaaa-4bbb-8ccc-000000000000_0>
          <controller2><drive5><pathname type="string">D:\\x\\data.vhdx</pathname></drive5>
            <drive6><pathname type="string">D:\\x\\boot.iso</pathname></drive6></controller2>
        </_00000000-aaaa-4bbb-8ccc-000000000000_0>
      </configuration>`,
      'vm.xml',
    );
    const config = parseHyperVXml(root, 'vm.xml');
    expect(config.drives).toEqual([{ recorded: 'D:\\x\\data.vhdx', slot: 'controller 2:5' }]);
    expect(config.name).toBeNull();
    expect(config.metadata.cpus).toBeNull();
  });

  it('takes elements with a switch connection for NICs, not COM ports', () => {
    const root = parseXml(
      `<configuration>
        <_8e3a359f-559a-4b6a-98a9-1690a6100ed7_0>
          <com1><connection type="string">debug-pipe</connection></com1>
        </_8e3a359f-559a-4b6a-98a9-1690a6100ed7_0>
        <_c4e6a1b2-0000-4000-8000-000000000001_0>
          <connection><AltSwitchName type="string">Internal</AltSwitchName></connection>
        </_c4e6a1b2-0000-4000-8000-000000000001_0>
      </configuration>`,
      'vm.xml',
    );
    expect(parseHyperVXml(root, 'vm.xml').metadata.networkAdapters).toEqual([
      { name: null, mac: null, network: 'Internal' },
    ]);
  });

  it('refuses a file whose root is not a Hyper-V <configuration>', () => {
    expect(() => parseHyperVXml(parseXml('<domain/>', '/a/b.xml'), '/a/b.xml')).toThrow(
      '/a/b.xml: is not a Hyper-V configuration (its root element is <domain>, not <configuration>)',
    );
  });

  it('keeps the attached VirtualBox image when no snapshot is current', () => {
    const machine = parseVboxMachine(
      parseXml(
        `<VirtualBox><Machine uuid="{0f1e2d3c-4b5a-4697-8877-665544332211}" name="m">
          <MediaRegistry><HardDisks>
            <HardDisk uuid="{00000000-0000-4000-8000-000000000001}" location="a.vhd">
              <HardDisk uuid="{00000000-0000-4000-8000-000000000002}" location="b.vhd"/>
            </HardDisk>
          </HardDisks></MediaRegistry>
        </Machine></VirtualBox>`,
        'm.vbox',
      ),
      'm.vbox',
    );
    expect(currentImage(machine, '00000000-0000-4000-8000-000000000001')).toBe(
      '00000000-0000-4000-8000-000000000001',
    );
    expect(machine.media.get('00000000-0000-4000-8000-000000000002')?.parent).toBe(
      '00000000-0000-4000-8000-000000000001',
    );
    expect(machine.metadata.cpus).toBeNull();
  });
});
