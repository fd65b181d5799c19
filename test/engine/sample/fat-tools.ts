import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian packages of the FAT tools the sample tests read images back with. */
const PACKAGE: Record<string, string> = {
  mdir: 'mtools',
  mcopy: 'mtools',
  'fsck.fat': 'dosfstools',
};

/** Runs a FAT tool; its stdout as bytes, since files copied out may be binary. */
async function fatTool(command: string, args: readonly string[]): Promise<Buffer> {
  try {
    const { stdout } = await run(command, args, {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
      // A stray ~/.mtoolsrc must not change how mtools reads the test images.
      env: { ...process.env, MTOOLSRC: '/dev/null', LC_ALL: 'C' },
    });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer; stdout?: Buffer };
    if (e.code === 'ENOENT') {
      throw new Error(
        `${command} is not installed: apt-get install ${PACKAGE[command] ?? command} ` +
          '(.ci/run must install mtools and dosfstools)',
      );
    }
    throw new Error(
      `${command} ${args.join(' ')} failed: ${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? e.message}`,
    );
  }
}

/** `image` with an optional byte offset of the partition, in mtools' `file@@offset` form. */
const at = (image: string, offset: number): string => (offset ? `${image}@@${offset}` : image);

/** A file's bytes, read from the FAT volume by mtools (`::LOGS/SHOP.LOG`). */
export function mtoolsRead(image: string, file: string, offset = 0): Promise<Buffer> {
  return fatTool('mcopy', ['-n', '-i', at(image, offset), `::${file}`, '-']);
}

/** `mdir -/ -a` of the whole volume, as text. */
export async function mtoolsList(image: string, offset = 0): Promise<string> {
  return (await fatTool('mdir', ['-/', '-a', '-i', at(image, offset), '::'])).toString('latin1');
}

/** fsck.fat in read-only mode; throws (with its report) unless it finds the volume clean. */
export async function fsckFat(volume: string): Promise<string> {
  return (await fatTool('fsck.fat', ['-n', '-v', volume])).toString('latin1');
}
