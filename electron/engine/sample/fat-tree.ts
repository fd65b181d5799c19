/**
 * The directory tree of a FAT volume to build, with a contiguous cluster run for every
 * directory and non-empty file. Contiguous runs keep the FAT trivial and the image
 * unfragmented, which is what a freshly formatted disk with files copied onto it looks like.
 */
import { TesseraError } from '../../../shared/errors.js';
import { DIR_ENTRY_SIZE, shortName } from './fat-dirent.js';
import type { FatGeometry } from './fat-geometry.js';

export interface FatFile {
  /** `README.TXT` or `docs/notes.txt`: 8.3 names, `/` between folders (made as needed). */
  readonly path: string;
  readonly data: Uint8Array;
}

export interface FileNode {
  readonly kind: 'file';
  readonly name: Buffer;
  readonly data: Uint8Array;
  firstCluster: number;
  clusters: number;
}

export interface DirNode {
  readonly kind: 'dir';
  readonly name: Buffer;
  /** The path shown in errors, `/` for the root. */
  readonly path: string;
  readonly children: Array<FileNode | DirNode>;
  /** 0 for the root, which lives in its own fixed area, not in clusters. */
  firstCluster: number;
  clusters: number;
}

export function buildTree(files: readonly FatFile[]): DirNode {
  const root: DirNode = {
    kind: 'dir',
    name: Buffer.alloc(11),
    path: '/',
    children: [],
    firstCluster: 0,
    clusters: 0,
  };
  for (const file of files) {
    const parts = file.path.split('/');
    if (parts.some((part) => part === ''))
      throw bad(`"${file.path}" is not a relative path of folder and file names`);
    let dir = root;
    for (const [index, part] of parts.entries()) {
      const name = shortName(part);
      const existing = dir.children.find((child) => child.name.equals(name));
      const last = index === parts.length - 1;
      if (last) {
        if (existing) throw bad(`"${file.path}" is given twice (FAT names ignore case)`);
        dir.children.push({ kind: 'file', name, data: file.data, firstCluster: 0, clusters: 0 });
      } else if (existing?.kind === 'file') {
        throw bad(`"${file.path}" needs "${part}" to be a folder, but it is a file`);
      } else if (existing) {
        dir = existing;
      } else {
        const child: DirNode = {
          kind: 'dir',
          name,
          path: parts.slice(0, index + 1).join('/'),
          children: [],
          firstCluster: 0,
          clusters: 0,
        };
        dir.children.push(child);
        dir = child;
      }
    }
  }
  return root;
}

/**
 * Gives every sub-directory and non-empty file its cluster run, in depth-first order from
 * cluster 2, and checks the root directory and the data area are large enough.
 */
export function allocateClusters(root: DirNode, geometry: FatGeometry, hasLabel: boolean): void {
  const rootUsed = root.children.length + (hasLabel ? 1 : 0);
  if (rootUsed > geometry.rootEntries) {
    throw bad(
      `the root folder would hold ${rootUsed} entries${hasLabel ? ' (with the volume label)' : ''}` +
        ` but a FAT root directory of this volume has room for ${geometry.rootEntries}; ` +
        'put files in a sub-folder',
    );
  }
  const clusterSize = geometry.clusterSize;
  let next = 2;
  const place = (node: FileNode | DirNode, bytes: number): void => {
    node.clusters = Math.ceil(bytes / clusterSize);
    node.firstCluster = node.clusters > 0 ? next : 0;
    next += node.clusters;
  };
  const visit = (dir: DirNode): void => {
    for (const child of dir.children) {
      if (child.kind === 'file') {
        place(child, child.data.byteLength);
      } else {
        // Two more entries: "." and "..".
        place(child, (child.children.length + 2) * DIR_ENTRY_SIZE);
        visit(child);
      }
    }
  };
  visit(root);
  const needed = next - 2;
  if (needed > geometry.clusterCount) {
    throw bad(
      `the files and folders need ${needed} clusters of ${clusterSize} bytes ` +
        `(${needed * clusterSize} bytes) but the volume has ${geometry.clusterCount} ` +
        `(${geometry.clusterCount * clusterSize} bytes)`,
    );
  }
}

function bad(detail: string): TesseraError {
  return new TesseraError('BAD_REQUEST', detail);
}
