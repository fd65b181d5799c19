/**
 * Fixtures for the inventory tests: real disk images made by qemu-img (and the differencing
 * builders in test/fixtures, since qemu-img cannot create differencing VHD/VHDX), configuration
 * files written as the hypervisors write them, and small lookups over scan results.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type {
  InventoryScan,
  InventorySource,
  InventoryVm,
  VmDisk,
} from '../../../shared/inventory.js';
import type { SourceKind } from '../../../shared/policy.js';
import { createDifferencingVhd } from '../../fixtures/vhd-differencing.js';
import { createDifferencingVhdx } from '../../fixtures/vhdx-differencing.js';
import { MiB, seededWrites } from '../../fixtures/vhdx-images.js';
import { qemuImg } from '../../helpers/tools.js';

export { MiB };

/** qemu-img's size for an 8 MiB dynamic VHD (rounded up to whole CHS geometry). */
export const VHD_8M_SIZE = 8390656;

export function source(id: number, kind: SourceKind, sourcePath: string): InventorySource {
  return { id, kind, path: sourcePath, name: `source ${id}`, addedAt: 1_700_000_000_000 };
}

async function inFolder(file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  return file;
}

/** An empty dynamic image of the given qemu format ('vhdx', 'vpc', 'raw', 'qcow2'). */
export async function qemuDisk(file: string, format: string, size = 8 * MiB): Promise<string> {
  const options = format === 'vpc' ? ['-o', 'subformat=dynamic'] : [];
  await qemuImg('create', '-q', '-f', format, ...options, await inFolder(file), String(size));
  return file;
}

/** A differencing VHDX (a Hyper-V checkpoint's .avhdx) over `parent`, with one written block. */
export async function avhdx(file: string, parent: string): Promise<string> {
  await createDifferencingVhdx(await inFolder(file), parent, seededWrites([[MiB, 4096, 7]]));
  return file;
}

/** A differencing VHD over `parent`, with one written sector range. */
export async function differencingVhd(file: string, parent: string): Promise<string> {
  await createDifferencingVhd({
    parent,
    child: await inFolder(file),
    writes: seededWrites([[4096, 4096, 3]]),
  });
  return file;
}

/** Writes a text file, creating its folder; UTF-16LE with a byte order mark as Hyper-V does. */
export async function writeText(
  file: string,
  text: string,
  encoding: 'utf8' | 'utf16le' = 'utf8',
): Promise<string> {
  const bytes =
    encoding === 'utf16le'
      ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
      : Buffer.from(text, 'utf8');
  await writeFile(await inFolder(file), bytes);
  return file;
}

export function vmNamed(scan: InventoryScan, name: string): InventoryVm {
  const found = scan.vms.filter((vm) => vm.name === name);
  expect(
    found.map((vm) => vm.name),
    `VMs named ${name}`,
  ).toEqual([name]);
  return found[0]!;
}

export function diskAt(vm: InventoryVm, file: string): VmDisk {
  const disk = vm.disks.find((d) => d.path === file);
  expect(
    disk,
    `${vm.name} lists ${file}; it lists ${vm.disks.map((d) => d.path).join(', ')}`,
  ).toBeDefined();
  return disk!;
}
