/**
 * The `virtualbox` source: one .vbox file, or a folder searched a few levels deep for them
 * (`~/VirtualBox VMs/<name>/<name>.vbox`). Each attached hard disk is looked up in the
 * machine's media registry; its location is relative to the .vbox folder (or absolute, and
 * then also looked for by name beside the .vbox and in its snapshot folder). VDI and VMDK
 * images are listed with a problem: the disk layer does not read them yet. Their chain then
 * comes from the media registry; for images the disk layer opens, from the images themselves.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { inspectDisks, type DiskRequest } from './disk-inspect.js';
import { vmId } from './identity.js';
import { locateFile } from './locate.js';
import { describeFsError, type ScanCollector } from './scan-collector.js';
import { currentImage, parseVboxMachine, registryParents } from './virtualbox-machine.js';
import { walkTree } from './walk.js';
import { readXmlFile } from './xml.js';

/** `~/VirtualBox VMs` → `<name>` → `<name>.vbox`, with a level or two to spare. */
const VBOX_SEARCH_DEPTH = 3;

export async function scanVirtualBoxSource(
  target: string,
  collector: ScanCollector,
): Promise<void> {
  const info = await stat(target).catch((error: unknown) => {
    collector.addProblem(target, `cannot open: ${describeFsError(error)}`);
    return null;
  });
  if (!info) return;
  if (info.isFile()) {
    await readMachineFile(target, collector);
    return;
  }
  const listings = await walkTree(
    target,
    (dir, error) => collector.addProblem(dir, `cannot list the folder: ${describeFsError(error)}`),
    VBOX_SEARCH_DEPTH,
  );
  for (const file of listings.flatMap((listing) => listing.files)) {
    if (/\.vbox$/i.test(file)) await readMachineFile(file, collector);
  }
}

async function readMachineFile(file: string, collector: ScanCollector): Promise<void> {
  try {
    const machine = parseVboxMachine(await readXmlFile(file), file);
    const name = machine.name ?? path.basename(file, path.extname(file));
    const folder = path.dirname(file);
    const searchDirs = [folder, path.resolve(folder, machine.snapshotFolder ?? 'Snapshots')];
    const locate = (location: string) => locateFile(location, folder, searchDirs);

    const requests: DiskRequest[] = [];
    for (const attachment of machine.attachments) {
      const medium = machine.media.get(currentImage(machine, attachment.uuid));
      if (!medium) {
        collector.addProblem(
          file,
          `machine ${name}: the disk at ${attachment.slot} ({${attachment.uuid}}) is not in the machine's media registry (older VirtualBox versions keep it in the global VirtualBox.xml); it is not listed`,
        );
        continue;
      }
      const located = await locate(medium.location);
      const parents = await Promise.all(
        registryParents(machine, medium.uuid).map(
          async (parent) => (await locate(parent.location)).path,
        ),
      );
      requests.push({
        path: located.path,
        format: medium.format,
        slot: attachment.slot,
        knownChain: parents,
        unusable: located.missing,
      });
    }
    collector.addVm({
      id: vmId('vbox', machine.uuid, file),
      name,
      configPath: file,
      disks: await inspectDisks(requests),
      metadata: machine.metadata,
    });
  } catch (error) {
    collector.addError(file, error);
  }
}
