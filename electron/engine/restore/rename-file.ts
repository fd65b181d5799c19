/**
 * The rename file: the changes a restore to a different location makes, one per line, on the
 * model of the rename file nbrestorevm takes with `-R` (`change vmname to NEW`, `change
 * /old/path to /new/path`). Blank lines and lines starting with `#` are ignored; keywords are
 * case-insensitive; a value runs to the end of the line (surrounding spaces trimmed).
 *
 *   change vmname to web01-restored          the VM's name
 *   change vmid to new                       new VM and disk IDs (or: keep, the default)
 *   change mac to new                        new MAC addresses (or: keep, the default)
 *   change cpus to 4
 *   change memory to 8192                    MiB; also 8192M, 8G, 8GiB (G = GiB)
 *   change format to vhd-fixed               every disk: vhdx | vhd-fixed | vhd | raw
 *   change format of disk 1 to raw           one disk, by position (0 = boot disk)
 *   change disk 1 to /srv/vms/data.raw       where one disk goes
 *   change /vms/web01/web01.vhdx to /restore/web01.vhdx
 *                                            a disk by its recorded path ...
 *   change /vms/web01/ to /restore/web01/    ... or every disk under a folder
 *   change network default to isolated       adapters on one network move to another
 *   change network to br0                    every adapter
 *   remove network backup-lan                adapters on that network are left out
 *
 * A relative target path is inside the restore's target folder. A name or path that holds
 * " to " (or starts or ends with spaces) is written in double quotes, with \" and \\ inside:
 * `change "/vms/back to back/a.vhdx" to /restore/a.vhdx`.
 *
 * Every problem is a RenameFileError (BAD_REQUEST) naming the line and column and what was
 * expected there; a change given twice is one too.
 */
import { TesseraError } from '../../../shared/errors.js';
import {
  RESTORE_FORMATS,
  VM_NAME_PATTERN,
  type RenameDirective,
  type RestoreDiskFormat,
  type RestoreEdits,
} from '../../../shared/restore.js';

export class RenameFileError extends TesseraError {
  override readonly name = 'RenameFileError';

  constructor(
    readonly source: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super('BAD_REQUEST', `${source} line ${line}, column ${column}: ${reason}`);
  }
}

const KEYWORDS = ['vmname', 'vmid', 'mac', 'cpus', 'memory', 'format', 'disk', 'network'] as const;
type Keyword = (typeof KEYWORDS)[number];

const FORMAT_ALIASES: Record<string, RestoreDiskFormat> = {
  'vhdx-dynamic': 'vhdx',
  'vhd-dynamic': 'vhd',
  'fixed-vhd': 'vhd-fixed',
};

const MEMORY = /^(\d{1,9})\s*(m|mb|mib|g|gb|gib)?$/i;

/** Reads one line left to right, keeping the column (1-based) for messages. */
class LineReader {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly fail: (column: number, reason: string) => never,
  ) {}

  get column(): number {
    return this.at + 1;
  }

  skipSpaces(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  atEnd(): boolean {
    this.skipSpaces();
    return this.at >= this.text.length;
  }

  /** The next space-delimited word, or '' at the end. */
  word(): string {
    this.skipSpaces();
    const start = this.at;
    while (this.at < this.text.length && !/\s/.test(this.text[this.at]!)) this.at++;
    return this.text.slice(start, this.at);
  }

  peekWord(): string {
    const saved = this.at;
    const word = this.word();
    this.at = saved;
    return word;
  }

  expectWord(expected: string, after: string): void {
    const column = (this.skipSpaces(), this.column);
    const found = this.word();
    if (found.toLowerCase() !== expected) {
      this.fail(column, `expected "${expected}" after ${after}, found ${describe(found)}`);
    }
  }

  /**
   * A value: a double-quoted string, or (unquoted) everything up to the word "to" when
   * `untilTo`, else to the end of the line.
   */
  value(what: string, untilTo: boolean): string {
    this.skipSpaces();
    const column = this.column;
    if (this.text[this.at] === '"') {
      const quoted = this.quoted(what);
      if (!untilTo) this.expectEnd();
      return quoted;
    }
    const rest = this.text.slice(this.at);
    const end = untilTo ? (/\s+to(\s|$)/i.exec(rest)?.index ?? -1) : rest.length;
    if (end < 0) this.fail(this.column + rest.trimEnd().length, `expected "to" after ${what}`);
    const value = rest.slice(0, end).trim();
    if (value.length === 0) this.fail(column, `expected ${what}, found ${describe('')}`);
    this.at += end;
    return value;
  }

  private quoted(what: string): string {
    const start = this.column;
    let value = '';
    for (this.at++; this.at < this.text.length; this.at++) {
      const char = this.text[this.at]!;
      if (char === '"') {
        this.at++;
        if (value.length === 0) this.fail(start, `expected ${what}, found an empty ""`);
        return value;
      }
      if (char === '\\' && this.at + 1 < this.text.length) {
        this.at++;
        value += this.text[this.at];
      } else {
        value += char;
      }
    }
    return this.fail(start, `the quoted ${what} has no closing "`);
  }

  expectEnd(): void {
    if (this.atEnd()) return;
    const column = this.column;
    this.fail(column, `expected the end of the line, found ${describe(this.word())}`);
  }
}

function describe(found: string): string {
  return found.length === 0 ? 'the end of the line' : `"${found}"`;
}

/** Parses a rename file's text; `source` names it in messages (e.g. its path). */
export function parseRenameFile(text: string, source = 'rename file'): RenameDirective[] {
  const directives: RenameDirective[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    if (raw.trim().length === 0 || raw.trim().startsWith('#')) continue;
    const fail = (column: number, reason: string): never => {
      throw new RenameFileError(source, line, column, reason);
    };
    directives.push(parseLine(new LineReader(raw, fail), line, fail));
  }
  return directives;
}

function parseLine(
  reader: LineReader,
  line: number,
  fail: (column: number, reason: string) => never,
): RenameDirective {
  reader.skipSpaces();
  const column = reader.column;
  const verb = reader.word().toLowerCase();
  if (verb === 'remove') {
    reader.expectWord('network', '"remove"');
    const from = reader.value('a network name', false);
    return { kind: 'network', line, from, to: null };
  }
  if (verb !== 'change') {
    fail(column, `expected "change" or "remove" at the start of the line, found ${describe(verb)}`);
  }
  reader.skipSpaces();
  const subjectColumn = reader.column;
  const next = reader.peekWord().toLowerCase();
  const keyword = KEYWORDS.find((k) => k === next);
  if (!keyword) {
    if (reader.atEnd()) {
      fail(
        subjectColumn,
        `expected what to change (${KEYWORDS.join(', ')} or a disk path) after "change", found the end of the line`,
      );
    }
    const from = reader.value('a disk path', true);
    if (!/[/\\]/.test(from)) {
      fail(
        subjectColumn,
        `expected ${KEYWORDS.join(', ')} or a disk path after "change", found "${from}"`,
      );
    }
    reader.expectWord('to', `the path "${from}"`);
    const to = reader.value('the new path', false);
    return { kind: 'path', line, from, to };
  }
  reader.word();
  return parseKeyword(keyword, reader, line, fail);
}

function parseKeyword(
  keyword: Keyword,
  reader: LineReader,
  line: number,
  fail: (column: number, reason: string) => never,
): RenameDirective {
  const after = `"change ${keyword}"`;
  switch (keyword) {
    case 'vmname': {
      reader.expectWord('to', after);
      const column = (reader.skipSpaces(), reader.column);
      const name = reader.value('the new VM name', false);
      if (!VM_NAME_PATTERN.test(name)) {
        fail(
          column,
          `"${name}" is not a VM name (1 to 100 characters, no / \\ or control characters)`,
        );
      }
      return { kind: 'vmname', line, name };
    }
    case 'vmid':
    case 'mac': {
      reader.expectWord('to', after);
      const column = (reader.skipSpaces(), reader.column);
      const value = reader.word().toLowerCase();
      if (value !== 'new' && value !== 'keep') {
        fail(
          column,
          `expected "new" or "keep" after "change ${keyword} to", found ${describe(value)}`,
        );
      }
      reader.expectEnd();
      return { kind: keyword, line, value };
    }
    case 'cpus': {
      reader.expectWord('to', after);
      const column = (reader.skipSpaces(), reader.column);
      const text = reader.word();
      const cpus = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
      if (!(cpus >= 1 && cpus <= 1024)) {
        fail(column, `expected a CPU count from 1 to 1024, found ${describe(text)}`);
      }
      reader.expectEnd();
      return { kind: 'cpus', line, cpus };
    }
    case 'memory': {
      reader.expectWord('to', after);
      const column = (reader.skipSpaces(), reader.column);
      const text = reader.value('a memory size', false);
      const match = MEMORY.exec(text);
      const memoryMB = match ? Number(match[1]) * (/^g/i.test(match[2] ?? '') ? 1024 : 1) : NaN;
      if (!(memoryMB >= 4 && memoryMB <= 64 * 1024 * 1024)) {
        fail(
          column,
          `expected a memory size in MiB (like 8192, 8192M or 8G, at least 4), found "${text}"`,
        );
      }
      return { kind: 'memory', line, memoryMB };
    }
    case 'format': {
      let position: number | null = null;
      if (reader.peekWord().toLowerCase() === 'of') {
        reader.word();
        reader.expectWord('disk', '"change format of"');
        position = diskPosition(reader, fail);
      }
      reader.expectWord('to', position === null ? after : `"change format of disk ${position}"`);
      const column = (reader.skipSpaces(), reader.column);
      const text = reader.word().toLowerCase();
      const format = RESTORE_FORMATS.find((f) => f === text) ?? FORMAT_ALIASES[text] ?? null;
      if (!format) {
        fail(
          column,
          `expected a disk format (${RESTORE_FORMATS.join(', ')}), found ${describe(text)}`,
        );
      }
      reader.expectEnd();
      return { kind: 'format', line, position, format };
    }
    case 'disk': {
      const position = diskPosition(reader, fail);
      reader.expectWord('to', `"change disk ${position}"`);
      const to = reader.value('the new path', false);
      return { kind: 'disk', line, position, to };
    }
    case 'network': {
      if (reader.peekWord().toLowerCase() === 'to') {
        reader.word();
        const to = reader.value('the new network name', false);
        return { kind: 'network', line, from: null, to };
      }
      const from = reader.value('a network name', true);
      reader.expectWord('to', `the network "${from}"`);
      const to = reader.value('the new network name', false);
      return { kind: 'network', line, from, to };
    }
  }
}

function diskPosition(reader: LineReader, fail: (column: number, reason: string) => never): number {
  const column = (reader.skipSpaces(), reader.column);
  const text = reader.word();
  if (!/^\d{1,4}$/.test(text)) {
    fail(column, `expected a disk position (0 = the boot disk), found ${describe(text)}`);
  }
  return Number(text);
}

/**
 * The edits a rename file asks for. A change made twice (two names, the same disk moved
 * twice, one network mapped twice) is an error naming both lines.
 */
export function renameEdits(
  directives: readonly RenameDirective[],
  source = 'rename file',
): RestoreEdits {
  const edits: {
    name?: string;
    newId?: boolean;
    newMacs?: boolean;
    cpus?: number;
    memoryMB?: number;
    format?: RestoreDiskFormat;
  } = {};
  const disks = new Map<number, { position: number; path?: string; format?: RestoreDiskFormat }>();
  const pathChanges: { from: string; to: string }[] = [];
  const networks: { from: string | null; to: string | null }[] = [];
  const seen = new Map<string, number>();
  const once = (key: string, directive: RenameDirective, what: string): void => {
    const first = seen.get(key);
    if (first !== undefined) {
      throw new RenameFileError(
        source,
        directive.line,
        1,
        `${what} is already changed on line ${first}`,
      );
    }
    seen.set(key, directive.line);
  };
  const disk = (position: number) => {
    const entry = disks.get(position) ?? { position };
    disks.set(position, entry);
    return entry;
  };
  for (const d of directives) {
    switch (d.kind) {
      case 'vmname':
        once('vmname', d, 'the VM name');
        edits.name = d.name;
        break;
      case 'vmid':
        once('vmid', d, 'the VM ID');
        edits.newId = d.value === 'new';
        break;
      case 'mac':
        once('mac', d, 'the MAC addresses');
        edits.newMacs = d.value === 'new';
        break;
      case 'cpus':
        once('cpus', d, 'the CPU count');
        edits.cpus = d.cpus;
        break;
      case 'memory':
        once('memory', d, 'the memory size');
        edits.memoryMB = d.memoryMB;
        break;
      case 'format':
        if (d.position === null) {
          once('format', d, 'the format of every disk');
          edits.format = d.format;
        } else {
          once(`format ${d.position}`, d, `the format of disk ${d.position}`);
          disk(d.position).format = d.format;
        }
        break;
      case 'disk':
        once(`disk ${d.position}`, d, `the path of disk ${d.position}`);
        disk(d.position).path = d.to;
        break;
      case 'path':
        once(`path ${d.from}`, d, `the path ${d.from}`);
        pathChanges.push({ from: d.from, to: d.to });
        break;
      case 'network':
        once(
          `network ${d.from ?? '*'}`,
          d,
          d.from === null ? 'every network' : `network "${d.from}"`,
        );
        networks.push({ from: d.from, to: d.to });
        break;
    }
  }
  return {
    ...edits,
    ...(disks.size > 0 ? { disks: [...disks.values()] } : {}),
    ...(pathChanges.length > 0 ? { pathChanges } : {}),
    ...(networks.length > 0 ? { networks } : {}),
  };
}

/** Edits given on their own (command-line flags, the app) override the rename file's. */
export function mergeEdits(base: RestoreEdits, override: RestoreEdits): RestoreEdits {
  const disks = new Map((base.disks ?? []).map((d) => [d.position, { ...d }]));
  for (const d of override.disks ?? []) disks.set(d.position, { ...disks.get(d.position), ...d });
  const merged: RestoreEdits = {
    ...base,
    ...override,
    pathChanges: [...(base.pathChanges ?? []), ...(override.pathChanges ?? [])],
    networks: [...(base.networks ?? []), ...(override.networks ?? [])],
    disks: [...disks.values()],
  };
  return Object.fromEntries(
    Object.entries(merged).filter(
      ([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0),
    ),
  ) as RestoreEdits;
}
