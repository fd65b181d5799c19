import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs an external tool (qemu-img, qemu-io, python3 ...) and returns its stdout. A missing
 * tool fails with a message that says which package provides it, not with a bare ENOENT.
 */
export async function tool(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        `${command} is not installed: ${INSTALL_HINT[command] ?? 'install it'} (.ci/run does this)`,
      );
    }
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

const INSTALL_HINT: Record<string, string> = {
  'qemu-img': 'apt-get install qemu-utils',
  'qemu-io': 'apt-get install qemu-utils',
  '/usr/bin/python3': 'apt-get install python3-libvhdi',
};

export const qemuImg = (...args: string[]): Promise<string> => tool('qemu-img', args);
export const qemuIo = (...args: string[]): Promise<string> => tool('qemu-io', args);

export interface QemuMapEntry {
  start: number;
  length: number;
  depth: number;
  present?: boolean;
  zero: boolean;
  data: boolean;
  offset?: number;
}

export async function qemuMap(file: string, format?: string): Promise<QemuMapEntry[]> {
  const args = ['map', '--output=json', ...(format ? ['-f', format] : []), file];
  return JSON.parse(await qemuImg(...args)) as QemuMapEntry[];
}
