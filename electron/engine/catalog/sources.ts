/**
 * Inventory sources in the catalog: the folders, libvirt configurations and VirtualBox
 * machines discovery scans. A source is one (kind, path) pair, stored with its absolute path,
 * and a name unique among sources that people and policies refer to it by.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { TesseraError } from '../../../shared/errors.js';
import type { InventorySource } from '../../../shared/inventory.js';
import { describeIssues, newSourceSchema } from '../../../shared/policy.js';
import type { NewSource, SourceKind } from '../../../shared/policy.js';

interface SourceDbRow {
  id: number;
  kind: SourceKind;
  path: string;
  name: string;
  added_at: number;
}

/** The longest source name newSourceSchema accepts. */
const MAX_NAME_LENGTH = 128;

function prepareStatements(db: Database.Database) {
  return {
    insertSource: db.prepare<{
      kind: string;
      path: string;
      name: string;
      addedAt: number;
    }>(/* sql */ `INSERT INTO sources (kind, path, name, added_at)
       VALUES (@kind, @path, @name, @addedAt)`),
    sourceById: db.prepare<[id: number], SourceDbRow>(`SELECT * FROM sources WHERE id = ?`),
    sourceByName: db.prepare<[name: string], SourceDbRow>(`SELECT * FROM sources WHERE name = ?`),
    sourceByPath: db.prepare<[kind: string, path: string], SourceDbRow>(
      `SELECT * FROM sources WHERE kind = ? AND path = ?`,
    ),
    sources: db.prepare<[], SourceDbRow>(`SELECT * FROM sources ORDER BY id`),
    deleteSourceById: db.prepare<[id: number]>(`DELETE FROM sources WHERE id = ?`),
    deleteSourceByName: db.prepare<[name: string]>(`DELETE FROM sources WHERE name = ?`),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The sources table of one connection. Every method runs inside the caller's transaction;
 * the caller maps SQLite's errors.
 */
export class Sources {
  readonly #sql: Statements;

  constructor(db: Database.Database) {
    this.#sql = prepareStatements(db);
  }

  /**
   * Adds a source, stamped `addedAt`. The path is resolved to an absolute, normalised one
   * (the CLI and the app must agree on what it names); the name defaults to the path's base
   * name, made unique with -2, -3, ... BAD_REQUEST for a source newSourceSchema refuses;
   * CATALOG_CONFLICT for a kind and path already added, or an explicit name in use.
   */
  add(input: NewSource, addedAt: number): InventorySource {
    const parsed = newSourceSchema.safeParse(input);
    if (!parsed.success)
      throw new TesseraError(
        'BAD_REQUEST',
        `The inventory source is not valid: ${describeIssues(parsed.error)}`,
        { cause: parsed.error },
      );
    const { kind } = parsed.data;
    const sourcePath = path.resolve(parsed.data.path);
    const same = this.#sql.sourceByPath.get(kind, sourcePath);
    if (same)
      throw new TesseraError(
        'CATALOG_CONFLICT',
        `The ${kind} source ${sourcePath} is already in the catalog, as "${same.name}" (id ${same.id})`,
      );
    let name = parsed.data.name;
    if (name === undefined) name = this.#uniqueName(defaultName(kind, sourcePath));
    else {
      const taken = this.#sql.sourceByName.get(name);
      if (taken)
        throw new TesseraError(
          'CATALOG_CONFLICT',
          `A source is already named "${name}" (id ${taken.id}, ${taken.kind} ${taken.path}); choose another name`,
        );
    }
    const id = Number(
      this.#sql.insertSource.run({ kind, path: sourcePath, name, addedAt }).lastInsertRowid,
    );
    return { id, kind, path: sourcePath, name, addedAt };
  }

  /** In the order they were added. */
  list(): InventorySource[] {
    return this.#sql.sources.all().map(sourceOf);
  }

  /** The source by id (a number) or by name (a string), or null. */
  get(idOrName: number | string): InventorySource | null {
    const row =
      typeof idOrName === 'number'
        ? this.#sql.sourceById.get(idOrName)
        : this.#sql.sourceByName.get(idOrName);
    return row ? sourceOf(row) : null;
  }

  /** False when there was no such source. */
  remove(idOrName: number | string): boolean {
    const result =
      typeof idOrName === 'number'
        ? this.#sql.deleteSourceById.run(idOrName)
        : this.#sql.deleteSourceByName.run(idOrName);
    return result.changes > 0;
  }

  #uniqueName(base: string): string {
    let name = base;
    for (let n = 2; this.#sql.sourceByName.get(name); n++) name = `${base}-${n}`;
    return name;
  }
}

function sourceOf(row: SourceDbRow): InventorySource {
  return { id: row.id, kind: row.kind, path: row.path, name: row.name, addedAt: row.added_at };
}

/** The path's last component (the kind for a root), cut to leave room for a -N suffix. */
function defaultName(kind: SourceKind, sourcePath: string): string {
  const base = path.basename(sourcePath) || kind;
  return base.slice(0, MAX_NAME_LENGTH - 8);
}
