/**
 * The `libvirt` source: one domain XML file, or a folder of them (`/etc/libvirt/qemu`). A
 * folder is read one level deep only: its sub-folders (`networks/`, `autostart/` links) hold
 * no domains of their own. In a folder, XML files whose root is not <domain> are skipped
 * quietly; a file named directly must be a domain. Disks are host paths (relative ones are
 * taken from the XML's folder); block, network and volume disks are not read.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { inspectDisks, type DiskRequest } from './disk-inspect.js';
import { vmId } from './identity.js';
import { isLibvirtDomain, parseLibvirtDomain } from './libvirt-domain.js';
import { describeFsError, type ScanCollector } from './scan-collector.js';
import { listFolder } from './walk.js';
import { readXmlFile } from './xml.js';

export async function scanLibvirtSource(target: string, collector: ScanCollector): Promise<void> {
  const info = await stat(target).catch((error: unknown) => {
    collector.addProblem(target, `cannot open: ${describeFsError(error)}`);
    return null;
  });
  if (!info) return;
  if (info.isFile()) {
    await readDomainFile(target, true, collector);
    return;
  }
  let files: readonly string[];
  try {
    files = (await listFolder(target)).files;
  } catch (error) {
    collector.addProblem(target, `cannot list the folder: ${describeFsError(error)}`);
    return;
  }
  for (const file of files.filter((name) => /\.xml$/i.test(name))) {
    await readDomainFile(file, false, collector);
  }
}

async function readDomainFile(
  file: string,
  mustBeDomain: boolean,
  collector: ScanCollector,
): Promise<void> {
  try {
    const root = await readXmlFile(file);
    if (!mustBeDomain && !isLibvirtDomain(root)) return;
    const domain = parseLibvirtDomain(root, file);
    const name = domain.name ?? path.basename(file, path.extname(file));
    const requests: DiskRequest[] = [];
    for (const disk of domain.disks) {
      if (disk.recorded === null) {
        collector.addProblem(
          file,
          `domain ${name}: disk ${disk.slot ?? '?'} is ${disk.description}, which Tessera cannot read; it is not listed`,
        );
        continue;
      }
      const base = path.dirname(file);
      requests.push({
        path: path.resolve(base, disk.recorded),
        format: disk.format,
        slot: disk.slot,
        knownChain: disk.backingChain.map((parent) => path.resolve(base, parent)),
        unusable:
          disk.type === 'block'
            ? `${disk.recorded}: host block devices are not read by Tessera yet`
            : null,
      });
    }
    collector.addVm({
      id: vmId('libvirt', domain.uuid, file),
      name,
      configPath: file,
      disks: await inspectDisks(requests),
      metadata: domain.metadata,
    });
  } catch (error) {
    collector.addError(file, error);
  }
}
