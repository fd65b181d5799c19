/**
 * VHDX reader ([MS-VHDX] v20160714, checked against qemu's block/vhdx*.c and libvhdi).
 *
 * Layout: the first 1 MiB holds the file identifier ("vhdxfile"), two 4 KiB headers (at 64 and
 * 128 KiB; the valid one with the larger sequence number is current) and two copies of the
 * region table (192 and 256 KiB). The region table places the BAT and the metadata region;
 * the metadata region holds the block size, virtual size, sector sizes, disk id and, for a
 * differencing disk, the parent locator. The BAT maps each payload block (and, interleaved,
 * each 1 MiB sector bitmap block) to a 1 MiB-aligned offset in the file.
 *
 * Open order: identifier → current header → (log replay, in memory, when the header names a
 * log) → region table → metadata → BAT. Every structure is checked against the file size and
 * against the others (no overlaps) before anything sized by it is allocated.
 *
 * Files: vhdx-constants (GUIDs, limits), vhdx-structs (codecs), vhdx-layout (headers, regions,
 * metadata), vhdx-bat (BAT and map), vhdx-log (log replay), vhdx-writer (dynamic writer).
 *
 * Subformats: differencing when HasParent; fixed when LeaveBlockAllocated (every block has its
 * space in the file; qemu still marks never-written ones ZERO); dynamic otherwise.
 */
import { DiskError } from '../errors.js';
import type { FormatReader } from '../formats.js';
import { readBytes, type FileReader, type ImageFile } from '../io/file.js';
import { isNullGuid, normaliseGuid } from '../io/guid.js';
import type { DiskLayer, ParentReference } from '../layer.js';
import type { DiskSubformat } from '../types.js';
import { VhdxBat } from './vhdx-bat.js';
import { SIGNATURE } from './vhdx-constants.js';
import { readLayout, readCurrentHeader, type VhdxMetadata } from './vhdx-layout.js';
import { ReplayedFile, readActiveLogSequence } from './vhdx-log.js';
import { fileIdentifierCodec } from './vhdx-structs.js';

/** Parent locator keys holding paths, most trusted first ([MS-VHDX] 2.6.2.6.2). */
const PARENT_PATH_KEYS = ['relative_path', 'volume_path', 'absolute_win32_path'] as const;

export const vhdxFormat: FormatReader = {
  format: 'vhdx',
  extensions: ['vhdx', 'avhdx'],
  async probe(file: ImageFile): Promise<boolean> {
    if (file.size < 8) return false;
    const signature = await readBytes(file, 0, 8);
    return signature.toString('latin1') === SIGNATURE.file;
  },
  open: openVhdxLayer,
};

export async function openVhdxLayer(image: ImageFile): Promise<DiskLayer> {
  const identifier = fileIdentifierCodec.get(await readBytes(image, 0, 520));
  if (identifier.signature !== SIGNATURE.file) {
    throw new DiskError(
      'DISK_BAD_SIGNATURE',
      image.path,
      'no "vhdxfile" file identifier at offset 0',
    );
  }
  let file: FileReader = image;
  let header = await readCurrentHeader(image);
  if (!isNullGuid(header.logGuid)) {
    const entries = await readActiveLogSequence(image, header);
    if (entries.length > 0) {
      file = new ReplayedFile(image, entries);
      // A replay may rewrite the headers too; read them again as they now stand.
      header = await readCurrentHeader(file);
    }
  }
  const layout = await readLayout(file, header);
  const bat = await VhdxBat.read(file, layout);
  const meta = layout.metadata;
  const subformat: DiskSubformat = meta.hasParent
    ? 'differencing'
    : meta.leaveBlockAllocated
      ? 'fixed'
      : 'dynamic';
  return {
    file,
    format: 'vhdx',
    subformat,
    virtualSize: meta.virtualSize,
    logicalSectorSize: meta.logicalSectorSize,
    physicalSectorSize: meta.physicalSectorSize,
    blockSize: meta.blockSize,
    identity: meta.virtualDiskId,
    linkIdentity: header.dataWriteGuid,
    parent: parentReference(meta),
    // Whole blocks (a partially present block counts whole: the file holds all of it), the
    // last one only up to the end of the disk.
    allocatedBytes: bat.presentBytes,
    scanForZeros: subformat === 'fixed',
    map: (offset, length) => bat.map(offset, length),
    close: () => file.close(),
  };
}

function parentReference(meta: VhdxMetadata): ParentReference | null {
  const locator = meta.parentLocator;
  if (!locator) return null;
  const linkage2 = normaliseGuid(locator.get('parent_linkage2') ?? '');
  return {
    linkIdentity: normaliseGuid(locator.get('parent_linkage')!),
    // [MS-VHDX] 2.6.2.6.2: a parent whose DataWriteGuid equals parent_linkage2 also matches.
    alternateLinkIdentities: linkage2 ? [linkage2] : [],
    locations: PARENT_PATH_KEYS.map((key) => locator.get(key)).filter(
      (value): value is string => value !== undefined && value.length > 0,
    ),
  };
}
