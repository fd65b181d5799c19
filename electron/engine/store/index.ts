/**
 * The storage unit: a directory that holds content-addressed blocks and image manifests, and
 * describes itself (the block index and the catalog can both be rebuilt from it).
 *
 * On-disk layout
 *   tessera-store.json            format, version and id of the storage unit
 *   packs/<xx>/<packId>.pack      blocks (SHA-256 of the raw block names it; LZ4 or stored as
 *                                 is when it does not shrink), then an index of the pack's
 *                                 blocks and a checksummed trailer (pack-format.ts); never
 *                                 modified once written
 *   images/<backupId>/            manifest.json (manifest.ts) and disk-<n>.blocks: 32 bytes
 *                                 per block of each disk, zeros for an empty block
 *   index.db                      SQLite: digest → pack, offset, lengths (a cache of the
 *                                 pack trailers), whose write lock is the commit lock
 *   tmp/<pid>-...                 packs and images being written, named after their process
 *   tracklogs/, catalog.db        local state of the engine kept beside the store by default:
 *                                 per disk, the last image's digest list and the blocks'
 *                                 fingerprints (backup/track-log.ts), and the catalog
 *
 * Write protocol
 *   1. Blocks are appended to a pack under tmp/. A full pack is fsynced, renamed into packs/
 *      (directory fsynced), and only then indexed: an indexed block is always durable.
 *   2. An image's digest lists and manifest are written under tmp/ and fsynced. Then, holding
 *      the commit lock, every block the image names is checked against the index and the
 *      image directory is renamed into images/: committed means complete and durable.
 *   3. After a crash, recover() removes tmp/ entries of dead processes and indexes sealed
 *      packs the index missed, so the next backup reuses every block already stored; it also
 *      forgets indexed packs whose file is gone, so their blocks are stored again, not linked.
 *
 * Garbage collection (gc.ts)
 *   Mark, without a lock: the digests every committed image names. Sweep, under the commit
 *   lock: add images committed since the mark, then delete packs with no live block and
 *   repack packs at least a quarter garbage, touching only packs sealed before the mark and
 *   before the oldest image a live process is still staging (tmp/<pid>-<ms>-<id>.image).
 *
 * What may run at the same time
 *   Any number of backups, restores and verifies, and one garbage collection, in any number
 *   of processes. A backup's new packs are sealed after it staged its image, so never swept
 *   before it commits; a block it only linked or deduplicated against (its backup hosts look
 *   changed blocks up on read-only connections and do not send the ones the index holds) may
 *   be swept, which its commit sees under the lock, and it stores that block again from the
 *   source before committing. A restore host that finds a pack gone (repacked meanwhile) looks its blocks
 *   up again, waiting up to 5 s: the sweep deletes the old file before it commits the new
 *   locations, which its read-only connection sees only then. Deleting an image takes the
 *   commit lock.
 *
 * Block size (backup-vm.ts, DEFAULT_BLOCK_SIZE = 64 KiB), chosen by measurement
 * (test/bench/block-size.bench.ts: the bench's mixed disk, 1 GiB raw; day 2 rewrites 1% in
 * clustered 64 KiB-4 MiB runs, or 0.1% as scattered 4 KiB writes, with random data):
 *
 *   block   stored after clustered   after scattered   manifest / virtual size
 *   16 KiB          12.2 MiB              2.5 MiB              0.196 %
 *   32 KiB          12.2 MiB              4.3 MiB              0.098 %
 *   64 KiB          12.2 MiB              7.9 MiB              0.051 %
 *   128 KiB         12.4 MiB             15.1 MiB              0.027 %
 *   256 KiB         12.5 MiB             29.3 MiB              0.015 %
 *
 * Clustered changes cost the same at any size; scattered writes cost a block each, so the
 * bytes stored double with every doubling. The manifest (32 bytes a block) halves instead,
 * and must stay under 0.1% of the disk: 64 KiB is the smallest size that keeps it well under
 * (32 KiB sits on the limit), and it halves the per-block work (hashes, messages, index
 * rows) of 32 KiB. Full-backup speed varied less between sizes than between runs.
 */
export { Store, type CommitResult, type RecoveryReport, type StagedImage } from './store.js';
export { StoreError } from './errors.js';
export { collectGarbage, type GcReport } from './gc.js';
export { Verifier, type VerifyProblem, type VerifyReport } from './verify.js';
export * from './manifest.js';
