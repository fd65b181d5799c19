/**
 * A read-only view of the block index for threads that only look blocks up (restore hosts).
 * Its own connection, opened without touching the schema or the journal mode, so any number
 * of them can read beside the process that owns the index; every query is its own read
 * transaction and sees the latest commit (a garbage collection's repack included).
 */
import Database from 'better-sqlite3';
import type { BlockLocation } from './block-index.js';

/** Digests per query: SQLite's default limit on host parameters is far above this. */
const BATCH = 64;

type LocationRow = [
  digest: Buffer,
  pack: string,
  offset: number,
  stored: number,
  raw: number,
  codec: number,
];

export class BlockLocator {
  private readonly db: Database.Database;
  private readonly statements = new Map<number, Database.Statement<Buffer[], LocationRow>>();

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 600000');
  }

  /** The location of each digest (undefined where it is not stored), in the order given. */
  locateAll(digests: readonly Buffer[]): Array<BlockLocation | undefined> {
    const found = new Map<string, BlockLocation>();
    for (let start = 0; start < digests.length; start += BATCH) {
      const batch = digests.slice(start, start + BATCH);
      for (const [digest, pack, offset, storedLength, rawLength, codec] of this.statement(
        batch.length,
      ).all(...batch)) {
        found.set(digest.toString('latin1'), { pack, offset, storedLength, rawLength, codec });
      }
    }
    return digests.map((digest) => found.get(digest.toString('latin1')));
  }

  close(): void {
    this.db.close();
  }

  private statement(count: number): Database.Statement<Buffer[], LocationRow> {
    let statement = this.statements.get(count);
    if (!statement) {
      statement = this.db
        .prepare<Buffer[], LocationRow>(
          `SELECT digest, pack, offset, stored_length, raw_length, codec FROM blocks WHERE digest IN (${'?,'.repeat(count - 1)}?)`,
        )
        .raw();
      this.statements.set(count, statement);
    }
    return statement;
  }
}
