import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { TesseraError } from '../../../shared/errors.js';
import {
  convertDisk,
  createDiskWriter,
  describeDisk,
  isWritableFormat,
  openDisk,
  WRITABLE_FORMATS,
  type DiskChainInfo,
  type DiskFormat,
  type DiskInfo,
  type WritableFormat,
} from '../../engine/disk/index.js';
import { formatBytes, parseSize } from '../human.js';
import { ProgressBar } from '../progress.js';
import { interruptSignal } from '../interrupt.js';

const READABLE: readonly DiskFormat[] = ['raw', 'vhd', 'vhdx'];

function sourceFormat(value: string | undefined): DiskFormat | undefined {
  if (value === undefined) return undefined;
  if ((READABLE as readonly string[]).includes(value)) return value as DiskFormat;
  throw new TesseraError(
    'BAD_REQUEST',
    `--source-format must be one of ${READABLE.join(', ')}, not "${value}"`,
  );
}

/** The output format: --format if given, else from the target's extension. */
export function targetFormat(target: string, requested: string | undefined): WritableFormat {
  if (requested !== undefined) {
    if (isWritableFormat(requested)) return requested;
    throw new TesseraError(
      'BAD_REQUEST',
      `--format must be one of ${WRITABLE_FORMATS.join(', ')}, not "${requested}"`,
    );
  }
  const extension = path.extname(target).toLowerCase();
  if (extension === '.vhdx') return 'vhdx';
  if (extension === '.vhd') return 'vhd';
  if (['.img', '.raw', '.bin'].includes(extension)) return 'raw';
  throw new TesseraError(
    'BAD_REQUEST',
    `cannot tell the output format from "${path.basename(target)}": add --format ${WRITABLE_FORMATS.join('|')}`,
  );
}

function infoLines(info: DiskInfo, indent = ''): string[] {
  const sectors =
    info.logicalSectorSize === info.physicalSectorSize
      ? `${info.logicalSectorSize}`
      : `${info.logicalSectorSize} logical, ${info.physicalSectorSize} physical`;
  return [
    `${indent}${info.path}`,
    `${indent}  format        ${info.format} (${info.subformat})`,
    `${indent}  virtual size  ${formatBytes(info.virtualSize)} (${info.virtualSize} bytes)`,
    `${indent}  file size     ${formatBytes(info.fileSize)}`,
    `${indent}  allocated     ${formatBytes(info.allocatedBytes)}`,
    `${indent}  block size    ${info.blockSize === null ? '-' : formatBytes(info.blockSize)}`,
    `${indent}  sector size   ${sectors}`,
    `${indent}  identity      ${info.identity ?? '-'}`,
  ];
}

export function formatInfo(info: DiskChainInfo): string {
  const lines = infoLines(info);
  if (info.parents.length > 0) {
    lines.push('  parent chain');
    for (const [depth, parent] of info.parents.entries())
      lines.push(...infoLines(parent, '  '.repeat(depth + 2)));
  }
  return lines.join('\n');
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

export function registerDiskCommands(program: Command): void {
  const disk = program.command('disk').description('inspect and convert virtual disk images');

  disk
    .command('info')
    .description('format, sizes, block size, allocation, identity and parent chain of an image')
    .argument('<file>', 'a raw, VHD or VHDX image')
    .option('--json', 'print JSON for scripts')
    .option(
      '--source-format <format>',
      `read the file as ${READABLE.join('|')} instead of detecting`,
    )
    .action(async (file: string, options: { json?: boolean; sourceFormat?: string }) => {
      const opened = await openDisk(file, { format: sourceFormat(options.sourceFormat) });
      try {
        const info = describeDisk(opened);
        process.stdout.write(
          options.json ? `${JSON.stringify(info, null, 2)}\n` : `${formatInfo(info)}\n`,
        );
      } finally {
        await opened.close();
      }
    });

  disk
    .command('convert')
    .description(
      'convert any readable image to raw, VHD (dynamic or fixed) or VHDX, sparse where zero',
    )
    .argument('<in>', 'source image')
    .argument('<out>', 'image to write')
    .option(
      '-f, --format <format>',
      `output format: ${WRITABLE_FORMATS.join('|')} (default: from <out>)`,
    )
    .option('--block-size <size>', 'block size of a dynamic VHD/VHDX, e.g. 2M or 32M')
    .option('--source-format <format>', `read <in> as ${READABLE.join('|')} instead of detecting`)
    .option('--overwrite', 'replace <out> if it exists')
    .option('--sync', 'flush <out> to stable storage before finishing (qemu-img and cp do not)')
    .option('--json', 'print the result as JSON (no progress bar)')
    .action(
      async (
        input: string,
        output: string,
        options: {
          format?: string;
          blockSize?: string;
          sourceFormat?: string;
          overwrite?: boolean;
          sync?: boolean;
          json?: boolean;
        },
      ) => {
        const format = targetFormat(output, options.format);
        const blockSize =
          options.blockSize === undefined ? undefined : parseSize(options.blockSize);
        if (blockSize === null)
          throw new TesseraError(
            'BAD_REQUEST',
            `--block-size "${options.blockSize}" is not a size`,
          );
        if (!options.overwrite && (await exists(output))) {
          throw new TesseraError('BAD_REQUEST', `${output} exists; add --overwrite to replace it`);
        }
        if (path.resolve(input) === path.resolve(output)) {
          throw new TesseraError('BAD_REQUEST', 'the source and the target are the same file');
        }
        const source = await openDisk(input, { format: sourceFormat(options.sourceFormat) });
        const started = Date.now();
        try {
          const writer = await createDiskWriter(output, format, {
            virtualSize: source.virtualSize,
            logicalSectorSize: source.format === 'vhdx' ? source.logicalSectorSize : undefined,
            physicalSectorSize: source.format === 'vhdx' ? source.physicalSectorSize : undefined,
            blockSize,
            durable: options.sync ?? false,
          });
          const bar = options.json
            ? null
            : new ProgressBar(`${path.basename(input)} -> ${path.basename(output)}`);
          const result = await convertDisk(source, writer, {
            onProgress: (p) => bar?.update(p.doneBytes, p.totalBytes),
            signal: interruptSignal,
          });
          bar?.finish();
          const seconds = (Date.now() - started) / 1000;
          const summary = {
            source: source.path,
            target: path.resolve(output),
            format,
            ...result,
            seconds,
          };
          process.stdout.write(
            options.json
              ? `${JSON.stringify(summary)}\n`
              : `wrote ${output} (${format}, ${formatBytes(writer.virtualSize)} virtual, ` +
                  `${formatBytes(result.dataBytesRead)} of data read) in ${seconds.toFixed(1)} s\n`,
          );
        } finally {
          await source.close();
        }
      },
    );
}
