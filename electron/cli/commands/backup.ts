import path from 'node:path';
import type { Command } from 'commander';
import { TesseraError } from '../../../shared/errors.js';
import type { ImageRow } from '../../engine/catalog/types.js';
import type { DiskFormat } from '../../engine/disk/types.js';
import { CLIENT_NAME_PATTERN } from '../../engine/store/manifest.js';
import type { VerifyReport } from '../../engine/store/verify.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes, parseDuration, parseSize } from '../human.js';
import { interruptSignal } from '../interrupt.js';
import { ProgressBar } from '../progress.js';
import { withStore } from './store-options.js';

/*
 * The engine modules each command needs are imported when it runs, so `tessera disk ...`
 * never loads the store, SQLite or the codecs (start-up time is part of every command's time).
 */
const engine = {
  backup: () => import('../../engine/backup/backup-vm.js'),
  expire: () => import('../../engine/backup/expire.js'),
  gc: () => import('../../engine/store/gc.js'),
  verify: () => import('../../engine/store/verify.js'),
};

const STORE_HELP =
  'storage unit directory (default: $TESSERA_STORE or ~/.local/share/tessera/store)';

const print = (text: string): void => void process.stdout.write(`${text}\n`);
const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

function usage(message: string): never {
  throw new TesseraError('BAD_REQUEST', message);
}

/** A VM name from its first disk's file name: "web01.vhdx" → "web01". */
function clientFromDisk(file: string): string {
  const name = path
    .parse(file)
    .name.replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return name.slice(0, 128) || 'vm';
}

const READABLE: readonly DiskFormat[] = ['raw', 'vhd', 'vhdx'];

/** Registers backup, images, verify, expire, gc and catalog (restore is in restore.ts). */
export function registerBackupCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command('backup')
    .description(
      'back up a VM: the first backup is full, later ones Accelerator (changed blocks only)',
    )
    .argument('<disk...>', "the VM's virtual disks (raw, VHD, VHDX), boot disk first")
    .option('--client <name>', 'VM (client) name (default: from the first disk)')
    .option('--forced-rescan', 'ignore the track log and hash every block again')
    .option('--block-size <size>', 'deduplication block size (default 64K)')
    .option('--hosts <n>', 'backup host workers (default: one per core)')
    .option(
      '--retention <duration>',
      'keep the image this long, e.g. 30d, 12h (default: until expired by hand)',
    )
    .option(
      '--source-format <format>',
      `read the disks as ${READABLE.join('|')} instead of detecting`,
    )
    .option('--store <dir>', STORE_HELP)
    .option('--json', 'print the image as JSON (no progress bar)')
    .action(
      async (
        disks: string[],
        options: {
          client?: string;
          forcedRescan?: boolean;
          blockSize?: string;
          hosts?: string;
          retention?: string;
          sourceFormat?: string;
          store?: string;
          json?: boolean;
        },
      ) => {
        const client = options.client ?? clientFromDisk(disks[0]!);
        if (!CLIENT_NAME_PATTERN.test(client)) {
          usage(
            `--client "${client}" must start with a letter or digit and hold only letters, digits, dots and dashes`,
          );
        }
        const blockSize =
          options.blockSize === undefined ? undefined : parseSize(options.blockSize);
        if (blockSize === null) usage(`--block-size "${options.blockSize}" is not a size`);
        const hosts = options.hosts === undefined ? undefined : Number(options.hosts);
        if (hosts !== undefined && (!Number.isInteger(hosts) || hosts < 1 || hosts > 64)) {
          usage(`--hosts must be a whole number from 1 to 64`);
        }
        const retention = options.retention === undefined ? null : parseDuration(options.retention);
        if (retention === null && options.retention !== undefined) {
          usage(`--retention "${options.retention}" is not a duration (like 30d, 12h, 3600)`);
        }
        const format = options.sourceFormat;
        if (format !== undefined && !(READABLE as readonly string[]).includes(format)) {
          usage(`--source-format must be one of ${READABLE.join(', ')}`);
        }
        await withStore(options, true, async ({ store, catalog }) => {
          const bar = options.json ? null : new ProgressBar(`backup ${client}`);
          const { backupVm } = await engine.backup();
          const { manifest } = await backupVm({
            store,
            catalog,
            client,
            disks: disks.map((p) => ({ path: p, format: format as DiskFormat | undefined })),
            forcedRescan: options.forcedRescan ?? false,
            blockSize,
            hosts,
            retentionSeconds: retention,
            signal: interruptSignal,
            onProgress: (p) => bar?.update(p.doneBytes, p.totalBytes),
          });
          bar?.finish();
          if (options.json) return printJson(manifest);
          print(`${manifest.backupId}: ${manifest.kind} image of ${manifest.disks.length} disk(s)`);
          for (const disk of manifest.disks) {
            const s = disk.stats;
            print(
              `  disk ${disk.position} ${disk.name}: ${formatBytes(disk.virtualSize)}, read ${formatBytes(s.bytesRead)}, ` +
                `${s.blocksChanged} changed / ${s.blocksUnchanged} unchanged / ${s.blocksZero} empty blocks, ` +
                `stored ${formatBytes(s.bytesStored)}, linked ${formatBytes(s.bytesLinked)}` +
                (disk.previousBackupId ? ` (previous ${disk.previousBackupId})` : ''),
            );
          }
        });
      },
    );

  program
    .command('images')
    .description('list backup images, newest first')
    .option('--client <name>', 'only this client')
    .option('--store <dir>', STORE_HELP)
    .option('--json', 'print JSON')
    .action(async (options: { client?: string; store?: string; json?: boolean }) => {
      await withStore(options, false, async ({ catalog }) => {
        const images = catalog.listImages({ client: options.client });
        if (options.json) return printJson(images);
        if (images.length === 0)
          return print('no images (if the catalog was lost: tessera catalog rebuild)');
        for (const image of images) print(imageLine(image));
      });
    });

  program
    .command('verify')
    .description('re-read every block of an image (or all) and report missing or damaged blocks')
    .argument('[backupId]', 'image to verify')
    .option('--all', 'verify every image')
    .option('--store <dir>', STORE_HELP)
    .option('--json', 'print JSON')
    .action(
      async (
        backupId: string | undefined,
        options: { all?: boolean; store?: string; json?: boolean },
      ) => {
        if (!backupId === !options.all) usage('give a backup ID or --all');
        await withStore(options, false, async ({ store }) => {
          if (backupId !== undefined && !(await store.hasImage(backupId))) {
            throw new TesseraError('IMAGE_NOT_FOUND', `no image ${backupId} in ${store.dir}`);
          }
          const ids = options.all ? await store.listImages() : [backupId!];
          const { Verifier } = await engine.verify();
          const verifier = new Verifier(store);
          const reports: VerifyReport[] = [];
          for (const id of ids) {
            const bar = options.json ? null : new ProgressBar(`verify ${id}`);
            reports.push(
              await verifier.verify(id, {
                signal: interruptSignal,
                onProgress: (d, t) => bar?.update(d, t),
              }),
            );
            bar?.finish();
          }
          const problems = reports.flatMap((r) => r.problems);
          if (options.json) printJson({ images: reports, ok: problems.length === 0 });
          else {
            for (const r of reports) {
              print(
                `${r.backupId}: ${r.blocksChecked} blocks (${formatBytes(r.bytesChecked)}) checked, ${r.problems.length === 0 ? 'all good' : `${r.problems.length} problems`}`,
              );
              for (const p of r.problems) {
                const where =
                  p.position === null
                    ? 'image'
                    : `disk ${p.position} (${p.disk}) at offset ${p.offset ?? '-'}`;
                print(`  ${where}: ${p.code}: ${p.detail}`);
              }
            }
          }
          if (problems.length > 0) setExit(EXIT.VERIFY_FAILED);
        });
      },
    );

  program
    .command('expire')
    .description('expire images past their retention (or the ones named); gc then reclaims space')
    .argument('[backupId...]', 'images to expire now, whatever their retention')
    .option('--store <dir>', STORE_HELP)
    .option('--json', 'print JSON')
    .action(async (backupIds: string[], options: { store?: string; json?: boolean }) => {
      await withStore(options, false, async ({ store, catalog }) => {
        for (const id of backupIds) {
          if (!(await store.hasImage(id)) && !catalog.getImage(id)) {
            throw new TesseraError('IMAGE_NOT_FOUND', `no image ${id}`);
          }
        }
        const { expireImages } = await engine.expire();
        const result = await expireImages(
          store,
          catalog,
          backupIds.length > 0 ? { backupIds } : {},
        );
        if (options.json) return printJson(result);
        print(
          result.expired.length === 0
            ? 'no images to expire'
            : `expired ${result.expired.join(', ')}`,
        );
      });
    });

  program
    .command('gc')
    .description('reclaim the space of blocks no image names (safe while backups run)')
    .option('--store <dir>', STORE_HELP)
    .option('--json', 'print JSON')
    .action(async (options: { store?: string; json?: boolean }) => {
      await withStore(options, false, async ({ store }) => {
        const { collectGarbage } = await engine.gc();
        const report = await collectGarbage(store);
        if (options.json) return printJson(report);
        print(
          `${report.liveImages} images, ${report.liveBlocks} live blocks; removed ${report.blocksRemoved} blocks ` +
            `(${report.packsDeleted} packs deleted, ${report.packsRepacked} repacked), reclaimed ${formatBytes(report.bytesReclaimed)}`,
        );
      });
    });

  const catalog = program.command('catalog').description('the catalog of images and jobs');
  catalog
    .command('rebuild')
    .description("recreate the catalog's images from the storage unit alone")
    .option('--store <dir>', STORE_HELP)
    .option('--json', 'print JSON')
    .action(async (options: { store?: string; json?: boolean }) => {
      await withStore(options, false, async ({ store, catalog: opened }) => {
        const { rebuildCatalog } = await engine.expire();
        const result = await rebuildCatalog(store, opened);
        if (options.json) return printJson(result);
        print(`catalog rebuilt from the storage unit: ${result.images} images`);
      });
    });
}

function imageLine(image: ImageRow): string {
  const when = new Date(image.createdAt * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const expires =
    image.expiresAt === null
      ? ''
      : `, expires ${new Date(image.expiresAt * 1000).toISOString().slice(0, 10)}`;
  return `${image.backupId}  ${when}  ${image.kind.padEnd(11)} ${image.disks.length} disk(s), stored ${formatBytes(image.bytesStored)}${expires}`;
}
