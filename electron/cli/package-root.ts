/**
 * Tessera's own package folder, found from a module's location: the same walk works from the
 * sources (run by tsx) and from the build in out/, which sit at different depths.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageRoot {
  readonly dir: string;
  readonly version: string;
}

export function findPackageRoot(from: string = import.meta.url): PackageRoot {
  let dir = path.dirname(fileURLToPath(from));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (json.name === 'tessera') return { dir, version: json.version ?? '0.0.0' };
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no tessera package.json above ${from}`);
    dir = parent;
  }
}
