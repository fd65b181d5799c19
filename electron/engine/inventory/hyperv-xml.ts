/**
 * The Hyper-V 2008 R2 - 2012 R2 VM configuration, `Virtual Machines/<VM GUID>.xml` (UTF-16LE).
 * Every value is an element whose `type` attribute names its type:
 *
 *   <configuration>
 *     <properties>
 *       <name type="string">VM1</name>  <notes type="string">...</notes>
 *       <subtype type="integer">1</subtype>            0: generation 1, 1: generation 2
 *       <global_id type="string">GUID</global_id>
 *     </properties>
 *     <settings>
 *       <memory><bank><size type="integer">2048</size> (MB, the startup memory)</bank></memory>
 *       <processors><count type="integer">2</count></processors>
 *     </settings>
 *     <_83f8638b-8dca-4152-9eda-2ca8b33039b4_0>        IDE controller (the device GUID)
 *       <controller0><drive0><pathname type="string">C:\...\vm1.vhdx</pathname>
 *                           <type type="string">VHD</type> (ISO, NONE...)</drive0></controller0>
 *     </_83f8...>
 *     <_d422512d-2bf2-4752-809d-7b82b5fcb1b4_0>        SCSI controller, has ChannelInstanceGuid
 *       <ChannelInstanceGuid/> <controller0><drive0>...</drive0></controller0>
 *     </_d422...>
 *     <_..._0>                                          a network adapter
 *       <friendly_name>Network Adapter</friendly_name> <address>00155D0A1B2C</address>
 *       <connection><AltSwitchName>External</AltSwitchName></connection>
 *     </_..._0>
 *   </configuration>
 *
 * Parsing is tolerant: controllers and adapters are recognised by their shape (a
 * `controllerN`/`driveN` pair with a `pathname`; an element with a `connection` naming a
 * switch, or an `address` beside a `friendly_name`) wherever they sit, not by a fixed list of
 * device GUIDs.
 */
import type { NetworkAdapter, VmMetadataInfo } from '../../../shared/inventory.js';
import { normalizeGuid, normalizeMac, parseCount } from './identity.js';
import { ConfigFileError } from './scan-collector.js';
import type { XmlNode } from './xml.js';

const IDE_CONTROLLER = '83f8638b-8dca-4152-9eda-2ca8b33039b4';
const SCSI_CONTROLLER = 'd422512d-2bf2-4752-809d-7b82b5fcb1b4';
const DISK_FILE = /\.a?vhdx?$/i;

export interface HyperVDriveRef {
  /** The path as the configuration records it (a Windows path, usually). */
  readonly recorded: string;
  /** "ide 0:1", "scsi 0:3". */
  readonly slot: string;
}

export interface HyperVXmlConfig {
  /** The VM GUID the configuration records, if any (the file name is the usual source). */
  readonly recordedId: string | null;
  readonly name: string | null;
  readonly metadata: VmMetadataInfo;
  readonly drives: readonly HyperVDriveRef[];
}

export function parseHyperVXml(root: XmlNode, file: string): HyperVXmlConfig {
  if (root.name.toLowerCase() !== 'configuration') {
    throw new ConfigFileError(
      file,
      `is not a Hyper-V configuration (its root element is <${root.name}>, not <configuration>)`,
    );
  }
  const properties = root.child('properties');
  const generation = parseCount(properties?.textAt('subtype') ?? null);
  return {
    recordedId:
      normalizeGuid(properties?.textAt('global_id')) ??
      normalizeGuid(root.textAt('settings', 'global', 'logical_id')),
    name: properties?.textAt('name') ?? null,
    metadata: {
      cpus: parseCount(root.textAt('settings', 'processors', 'count')),
      memoryMB: parseCount(root.textAt('settings', 'memory', 'bank', 'size')),
      networkAdapters: findAdapters(root),
      notes: properties?.textAt('notes') ?? root.textAt('notes'),
      os: null,
      firmware: generation === null ? null : `generation ${generation + 1}`,
    },
    drives: findDrives(root),
  };
}

function findDrives(root: XmlNode): HyperVDriveRef[] {
  const drives: HyperVDriveRef[] = [];
  const visit = (node: XmlNode, bus: string): void => {
    for (const child of node.children()) {
      const controller = /^controller(\d+)$/i.exec(child.name);
      if (!controller) {
        visit(child, busOf(child, bus));
        continue;
      }
      for (const drive of child.children()) {
        const location = /^drive(\d+)$/i.exec(drive.name);
        const recorded = drive.textAt('pathname');
        if (!location || !recorded) continue;
        const type = drive.textAt('type');
        const isDisk = type ? type.toUpperCase() === 'VHD' : DISK_FILE.test(recorded);
        if (isDisk) drives.push({ recorded, slot: `${bus} ${controller[1]}:${location[1]}` });
      }
    }
  };
  visit(root, 'controller');
  return drives;
}

function busOf(node: XmlNode, inherited: string): string {
  const name = node.name.toLowerCase();
  if (name.includes(IDE_CONTROLLER)) return 'ide';
  if (name.includes(SCSI_CONTROLLER) || node.child('ChannelInstanceGuid')) return 'scsi';
  return inherited;
}

function findAdapters(root: XmlNode): NetworkAdapter[] {
  const adapters: NetworkAdapter[] = [];
  const visit = (node: XmlNode): void => {
    for (const child of node.children()) {
      // A NIC's <connection> names a switch; a COM port's <connection> is only a pipe name.
      const connection = child.child('connection');
      const switched = connection?.child('AltSwitchName') ?? connection?.child('SwitchName');
      const isAdapter = switched || (child.child('address') && child.child('friendly_name'));
      if (!isAdapter) {
        visit(child);
        continue;
      }
      adapters.push({
        name: child.textAt('friendly_name'),
        mac: normalizeMac(child.textAt('address')),
        network:
          connection?.textAt('AltSwitchName') ??
          child.textAt('AltSwitchName') ??
          connection?.textAt('SwitchName') ??
          null,
      });
    }
  };
  visit(root);
  return adapters;
}
