/**
 * The Intelligent Policy query language: a policy selects VMs with a query such as
 * `name contains "sql" and memoryMB >= 4096`. Pure TypeScript (the renderer's live query
 * editor runs it too), so it imports nothing but shared/.
 *
 * Grammar (EBNF; keywords and field names are case-insensitive):
 *
 *   query      = or-expr EOF ;
 *   or-expr    = and-expr { "or" and-expr } ;
 *   and-expr   = not-expr { "and" not-expr } ;
 *   not-expr   = "not" not-expr | primary ;
 *   primary    = "(" or-expr ")" | condition ;
 *   condition  = field ( compare-op value
 *                      | text-op string
 *                      | "matches" ( regex | string )
 *                      | "in" "(" value { "," value } ")" ) ;
 *   compare-op = "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" ;
 *   text-op    = "contains" | "startswith" | "endswith" ;
 *   value      = string | number ;
 *   field      = ( letter | "_" ) { letter | digit | "_" } ;   (one of VM_QUERY_FIELDS)
 *   string     = '"' { char | escape } '"' | "'" { char | escape } "'" ;
 *   escape     = "\" ( "\" | '"' | "'" | "n" | "t" | "r" ) ;
 *   number     = [ "-" ] digits [ "." digits ] [ ( "e" | "E" ) [ "+" | "-" ] digits ] ;
 *   digits     = digit { digit } ;
 *   regex      = "/" { char | "\" char } "/" [ "i" | "I" ] ;   (JavaScript syntax; "/" may
 *                appear unescaped inside [...]; a string after matches is a regex source too)
 *
 * Types are checked while parsing: a value has the field's type (text fields take strings,
 * number fields take numbers), `<` `<=` `>` `>=` apply to number fields only, and
 * `contains`, `startswith`, `endswith`, `matches` to text fields only. Text comparisons
 * (including `=`, `!=` and `in`) ignore case; regexes always match case-insensitively.
 *
 * Unknown values: a field whose value is unknown (null) makes every comparison on it false,
 * `!=` included: `os != "Windows"` does not select a VM whose OS is unknown. `not` is plain
 * negation of its operand's result, so `not os = "Windows"` does select it.
 */
import type { InventoryVm } from './inventory.js';
import type { VmSelection } from './policy.js';
import { TesseraError } from './errors.js';

export type VmQueryValue = string | number | null;
export type VmQueryFields = Record<string, VmQueryValue>;

export interface VmQueryField {
  /** Canonical spelling; queries may write it in any case. */
  readonly name: string;
  readonly type: 'text' | 'number';
  readonly description: string;
}

/** The fields a query can use, in the order the query editor lists them. */
export const VM_QUERY_FIELDS: readonly VmQueryField[] = [
  { name: 'name', type: 'text', description: 'VM name' },
  { name: 'id', type: 'text', description: "the hypervisor's VM ID" },
  { name: 'source', type: 'text', description: 'name of the inventory source' },
  { name: 'kind', type: 'text', description: 'source kind: folder, libvirt, virtualbox' },
  { name: 'path', type: 'text', description: 'configuration file (or folder) of the VM' },
  { name: 'os', type: 'text', description: 'guest OS type as the source names it' },
  { name: 'notes', type: 'text', description: 'notes or description' },
  { name: 'firmware', type: 'text', description: 'firmware, generation or machine type' },
  { name: 'cpus', type: 'number', description: 'virtual processors' },
  { name: 'memoryMB', type: 'number', description: 'memory in MiB' },
  { name: 'disks', type: 'number', description: 'number of virtual disks' },
  { name: 'sizeGB', type: 'number', description: 'sum of the known disk sizes, in GiB' },
  { name: 'nics', type: 'number', description: 'number of network adapters' },
];

const FIELD_BY_LOWER = new Map(VM_QUERY_FIELDS.map((field) => [field.name.toLowerCase(), field]));

/** The query fields of one VM; `sourceName` null when the source is not known. */
export function vmQueryFields(vm: InventoryVm, sourceName: string | null): VmQueryFields {
  const sizes = vm.disks.flatMap((disk) => (disk.virtualSize === null ? [] : [disk.virtualSize]));
  // No disk with a known size (but some disks): the size is unknown, not zero.
  const sizeGB =
    vm.disks.length > 0 && sizes.length === 0
      ? null
      : sizes.reduce((sum, size) => sum + size, 0) / 2 ** 30;
  return {
    name: vm.name,
    id: vm.id,
    source: sourceName,
    kind: vm.sourceKind,
    path: vm.configPath,
    os: vm.metadata.os,
    notes: vm.metadata.notes,
    firmware: vm.metadata.firmware,
    cpus: vm.metadata.cpus,
    memoryMB: vm.metadata.memoryMB,
    disks: vm.disks.length,
    sizeGB,
    nics: vm.metadata.networkAdapters.length,
  };
}

/** A query that does not parse or does not type-check; `position` is a 0-based offset. */
export class VmQueryError extends TesseraError {
  override readonly name = 'VmQueryError';
  /** The problem without its location, for an editor that marks the span itself. */
  readonly reason: string;

  constructor(
    reason: string,
    readonly position: number,
    readonly length: number,
    text: string,
  ) {
    super('BAD_REQUEST', `${describeLocation(text, position)}: ${reason}`);
    this.reason = reason;
  }
}

export interface VmQuery {
  /** True when the VM with these fields (as {@link vmQueryFields} returns them) is selected. */
  matches(fields: Readonly<VmQueryFields>): boolean;
  /** The canonical form: canonical field names, lower-case keywords, double-quoted strings,
   * parentheses only where precedence needs them. It parses back to the same query. */
  toString(): string;
}

/** Parses and type-checks a query; throws {@link VmQueryError}. */
export function parseVmQuery(text: string): VmQuery {
  const node = new Parser(text).parseQuery();
  const predicate = compile(node);
  const canonical = format(node);
  return { matches: (fields) => predicate(fields), toString: () => canonical };
}

/** The VMs a policy selects, in inventory order. Throws {@link VmQueryError} for a bad query. */
export function selectVms(
  selection: VmSelection,
  vms: readonly InventoryVm[],
  sourceNames: ReadonlyMap<number, string>,
): InventoryVm[] {
  if (selection.kind === 'list') {
    const ids = new Set(selection.vms);
    const names = new Set(selection.vms.map((entry) => entry.toLowerCase()));
    return vms.filter((vm) => ids.has(vm.id) || names.has(vm.name.toLowerCase()));
  }
  const query = parseVmQuery(selection.query);
  return vms.filter((vm) => query.matches(vmQueryFields(vm, sourceNames.get(vm.sourceId) ?? null)));
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'startswith' | 'endswith';

type Node =
  | { readonly type: 'or' | 'and'; readonly operands: readonly Node[] }
  | { readonly type: 'not'; readonly operand: Node }
  | {
      readonly type: 'compare';
      readonly field: VmQueryField;
      readonly op: CompareOp;
      readonly value: string | number;
    }
  | { readonly type: 'in'; readonly field: VmQueryField; readonly values: readonly Literal[] }
  | { readonly type: 'matches'; readonly field: VmQueryField; readonly regex: RegExp };

type Literal = string | number;

const NUMBER_OPS = new Set<CompareOp>(['<', '<=', '>', '>=']);
const TEXT_OPS = new Set<CompareOp>(['contains', 'startswith', 'endswith']);
const KEYWORDS = new Set('and or not in matches contains startswith endswith'.split(' '));
const OPERATOR_LIST = '=, !=, <, <=, >, >=, contains, startswith, endswith, matches or in';

// ---------------------------------------------------------------------------------------------
// Tokenizer: produces one token at a time, so errors surface in text order.

/** Where a token is: 0-based offset and length in the query text. */
interface Span {
  readonly pos: number;
  readonly len: number;
}

type Token = Span &
  (
    | { readonly kind: 'word'; readonly text: string }
    | { readonly kind: 'string'; readonly value: string }
    | { readonly kind: 'number'; readonly value: number; readonly text: string }
    | { readonly kind: 'regex'; readonly source: string }
    /** Operators, punctuation and any other character. */
    | { readonly kind: 'symbol'; readonly text: string }
    | { readonly kind: 'end' }
  );

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NUMBER_TAIL = /[A-Za-z0-9_.]+/y;
const SYMBOLS = ['==', '!=', '<=', '>=', '&&', '||', '=', '<', '>', '(', ')', ','];
const ESCAPES: Record<string, string> = {
  '\\': '\\',
  '"': '"',
  "'": "'",
  n: '\n',
  t: '\t',
  r: '\r',
};

class Lexer {
  private pos = 0;
  private lookahead: Token | null = null;

  constructor(readonly text: string) {}

  peek(): Token {
    this.lookahead ??= this.lex();
    return this.lookahead;
  }

  next(): Token {
    const token = this.peek();
    this.lookahead = null;
    return token;
  }

  error(reason: string, pos: number, len: number): VmQueryError {
    return new VmQueryError(reason, pos, len, this.text);
  }

  private lex(): Token {
    const text = this.text;
    while (this.pos < text.length && /\s/.test(text[this.pos]!)) this.pos++;
    const pos = this.pos;
    if (pos >= text.length) return { kind: 'end', pos: text.length, len: 0 };
    const c = text[pos]!;
    if (c === '"' || c === "'") return this.lexString(pos, c);
    if (c === '/') return this.lexRegex(pos);
    const word = this.match(WORD, pos);
    if (word !== null) {
      this.pos = pos + word.length;
      return { kind: 'word', text: word, pos, len: word.length };
    }
    const number = this.match(NUMBER, pos);
    if (number !== null) {
      const tail = this.match(NUMBER_TAIL, pos + number.length);
      if (tail !== null) {
        const len = number.length + tail.length;
        throw this.error(`invalid number "${text.slice(pos, pos + len)}"`, pos, len);
      }
      const value = Number(number);
      if (!Number.isFinite(value)) throw this.error(`number out of range`, pos, number.length);
      this.pos = pos + number.length;
      return { kind: 'number', value, text: number, pos, len: number.length };
    }
    const symbol =
      SYMBOLS.find((s) => text.startsWith(s, pos)) ?? String.fromCodePoint(text.codePointAt(pos)!);
    this.pos = pos + symbol.length;
    return { kind: 'symbol', text: symbol, pos, len: symbol.length };
  }

  private match(pattern: RegExp, pos: number): string | null {
    pattern.lastIndex = pos;
    const found = pattern.exec(this.text);
    return found === null ? null : found[0];
  }

  private lexString(pos: number, quote: string): Token {
    const text = this.text;
    let value = '';
    let i = pos + 1;
    for (;;) {
      if (i >= text.length) {
        throw this.error(
          `unterminated string: expected a closing ${quote} before the end of the query`,
          pos,
          text.length - pos,
        );
      }
      const c = text[i]!;
      if (c === quote) break;
      if (c === '\\' && i + 1 < text.length) {
        const escaped = ESCAPES[text[i + 1]!];
        if (escaped === undefined) {
          throw this.error(
            `unknown escape "\\${text[i + 1]}" in a string (write \\\\ for a backslash, or use a /regex/)`,
            i,
            2,
          );
        }
        value += escaped;
        i += 2;
      } else {
        value += c;
        i += 1;
      }
    }
    this.pos = i + 1;
    return { kind: 'string', value, pos, len: i + 1 - pos };
  }

  private lexRegex(pos: number): Token {
    const text = this.text;
    let i = pos + 1;
    let inClass = false;
    for (;;) {
      if (i >= text.length) {
        throw this.error(
          'unterminated regex: expected a closing / before the end of the query',
          pos,
          text.length - pos,
        );
      }
      const c = text[i]!;
      if (c === '/' && !inClass) break;
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      i += c === '\\' ? 2 : 1;
    }
    const source = text.slice(pos + 1, i);
    const flags = this.match(WORD, i + 1) ?? '';
    if (flags !== '' && flags.toLowerCase() !== 'i') {
      throw this.error(
        `regex flags "${flags}" are not supported (a regex always ignores case)`,
        i + 1,
        flags.length,
      );
    }
    this.pos = i + 1 + flags.length;
    return { kind: 'regex', source, pos, len: this.pos - pos };
  }
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of query';
    case 'word':
    case 'symbol':
      return `"${token.text}"`;
    case 'string': {
      const shown = token.value.length > 40 ? `${token.value.slice(0, 40)}…` : token.value;
      return `the string ${quote(shown)}`;
    }
    case 'number':
      return `the number ${token.text}`;
    case 'regex':
      return `the regex /${token.source}/`;
  }
}

/** What people coming from other query languages write, and what to write here. */
const SYMBOL_HINTS: Record<string, string> = { '&&': 'and', '||': 'or', '!': 'not' };

function hintFor(token: Token): string {
  if (token.kind === 'symbol' && SYMBOL_HINTS[token.text] !== undefined)
    return ` (write "${SYMBOL_HINTS[token.text]}")`;
  return '';
}

// ---------------------------------------------------------------------------------------------
// Parser: recursive descent, one function per grammar rule.

class Parser {
  private readonly lexer: Lexer;

  constructor(text: string) {
    this.lexer = new Lexer(text);
  }

  parseQuery(): Node {
    const first = this.lexer.peek();
    if (first.kind === 'end') {
      throw this.lexer.error(
        'the query is empty: expected a condition such as name contains "sql"',
        0,
        this.lexer.text.length,
      );
    }
    const node = this.parseOr();
    const rest = this.lexer.peek();
    if (rest.kind === 'end') return node;
    if (isSymbol(rest, ')')) throw this.fail('found ")" without a matching "("', rest);
    throw this.fail(
      `expected "and", "or" or end of query, found ${describeToken(rest)}${hintFor(rest)}`,
      rest,
    );
  }

  private parseOr(): Node {
    const operands = [this.parseAnd(null)];
    while (isKeyword(this.lexer.peek(), 'or')) {
      this.lexer.next();
      operands.push(this.parseAnd('or'));
    }
    return combine('or', operands);
  }

  private parseAnd(after: string | null): Node {
    const operands = [this.parseNot(after)];
    while (isKeyword(this.lexer.peek(), 'and')) {
      this.lexer.next();
      operands.push(this.parseNot('and'));
    }
    return combine('and', operands);
  }

  private parseNot(after: string | null): Node {
    if (isKeyword(this.lexer.peek(), 'not')) {
      this.lexer.next();
      return { type: 'not', operand: this.parseNot('not') };
    }
    return this.parsePrimary(after);
  }

  /** `after`: the keyword just read, named in the error when no condition follows it. */
  private parsePrimary(after: string | null): Node {
    const token = this.lexer.peek();
    if (isSymbol(token, '(')) {
      this.lexer.next();
      const inner = this.parseOr();
      const close = this.lexer.peek();
      if (isSymbol(close, ')')) {
        this.lexer.next();
        return inner;
      }
      const opened = describeLocation(this.lexer.text, token.pos);
      throw this.fail(
        close.kind === 'end'
          ? `expected ")" to close the "(" at ${opened}, found end of query`
          : `expected "and", "or" or ")" (closing the "(" at ${opened}), found ${describeToken(close)}${hintFor(close)}`,
        close,
      );
    }
    if (token.kind === 'word' && !KEYWORDS.has(token.text.toLowerCase())) {
      return this.parseCondition();
    }
    const where = after === null ? '' : ` after "${after}"`;
    throw this.fail(
      `expected a field name, "not" or "("${where}, found ${describeToken(token)}${hintFor(token)}`,
      token,
    );
  }

  private parseCondition(): Node {
    const field = this.parseField();
    const token = this.lexer.next();
    const word = token.kind === 'word' ? token.text.toLowerCase() : null;
    if (word === 'in') return { type: 'in', field, values: this.parseList(field) };
    if (word === 'matches') {
      if (field.type !== 'text')
        throw this.fail(`matches compares text; ${field.name} is a number`, token);
      return { type: 'matches', field, regex: this.parsePattern() };
    }
    const op = toCompareOp(token);
    if (op === null) {
      throw this.fail(
        `expected an operator after ${field.name} (${OPERATOR_LIST}), found ${describeToken(token)}`,
        token,
      );
    }
    if (field.type === 'text' && NUMBER_OPS.has(op))
      throw this.fail(`"${op}" compares numbers; ${field.name} is text`, token);
    if (field.type === 'number' && TEXT_OPS.has(op))
      throw this.fail(`${op} compares text; ${field.name} is a number`, token);
    const shown = token.kind === 'symbol' ? token.text : op;
    return { type: 'compare', field, op, value: this.parseValue(field, `"${shown}"`) };
  }

  private parseField(): VmQueryField {
    const token = this.lexer.next() as Token & { kind: 'word' };
    const field = FIELD_BY_LOWER.get(token.text.toLowerCase());
    if (field !== undefined) return field;
    const suggestion = closestField(token.text);
    throw this.fail(
      suggestion === null
        ? `unknown field "${token.text}" (fields: ${VM_QUERY_FIELDS.map((f) => f.name).join(', ')})`
        : `unknown field "${token.text}" (did you mean "${suggestion}"?)`,
      token,
    );
  }

  /** One literal of the field's type; `after` names what precedes it, for the error. */
  private parseValue(field: VmQueryField, after: string): Literal {
    const token = this.lexer.next();
    if (token.kind === 'string' && field.type === 'text') return token.value;
    if (token.kind === 'number' && field.type === 'number') return token.value;
    if (token.kind === 'string' || token.kind === 'number') {
      const wanted = field.type === 'text' ? 'a quoted string' : 'a number';
      const is = field.type === 'text' ? 'is text' : 'is a number';
      throw this.fail(
        `${field.name} ${is}; expected ${wanted} after ${after}, found ${describeToken(token)}`,
        token,
      );
    }
    const hint =
      token.kind === 'regex'
        ? ' (a /regex/ goes only after matches)'
        : token.kind === 'word' && field.type === 'text'
          ? ` (text goes in quotes: "${token.text}")`
          : '';
    throw this.fail(`expected a value after ${after}, found ${describeToken(token)}${hint}`, token);
  }

  private parseList(field: VmQueryField): Literal[] {
    const open = this.lexer.next();
    if (!isSymbol(open, '(')) {
      throw this.fail(`expected "(" after in, found ${describeToken(open)}`, open);
    }
    const values = [this.parseValue(field, '"("')];
    for (;;) {
      const token = this.lexer.next();
      if (isSymbol(token, ')')) return values;
      if (!isSymbol(token, ',')) {
        const opened = describeLocation(this.lexer.text, open.pos);
        throw this.fail(
          `expected "," or ")" in the list opened at ${opened}, found ${describeToken(token)}`,
          token,
        );
      }
      values.push(this.parseValue(field, '","'));
    }
  }

  private parsePattern(): RegExp {
    const token = this.lexer.next();
    if (token.kind !== 'regex' && token.kind !== 'string') {
      throw this.fail(
        `expected a /regex/ or a string after matches, found ${describeToken(token)}`,
        token,
      );
    }
    const source = token.kind === 'regex' ? token.source : token.value;
    try {
      return new RegExp(source, 'i');
    } catch (error) {
      const detail = error instanceof Error ? error.message.replace(/^.*: /s, '') : String(error);
      throw this.fail(`invalid regular expression /${source}/: ${detail}`, token);
    }
  }

  private fail(reason: string, token: Token): VmQueryError {
    return this.lexer.error(reason, token.pos, token.len);
  }
}

function isSymbol(token: Token, text: string): boolean {
  return token.kind === 'symbol' && token.text === text;
}

function isKeyword(token: Token, keyword: string): boolean {
  return token.kind === 'word' && token.text.toLowerCase() === keyword;
}

function toCompareOp(token: Token): CompareOp | null {
  if (token.kind === 'symbol') {
    if (token.text === '==') return '=';
    const op = ['=', '!=', '<', '<=', '>', '>='].find((s) => s === token.text);
    return (op as CompareOp | undefined) ?? null;
  }
  if (token.kind === 'word') {
    const word = token.text.toLowerCase();
    if (TEXT_OPS.has(word as CompareOp)) return word as CompareOp;
  }
  return null;
}

/** An n-ary and/or, flattening nested ones of the same kind: `a and (b and c)` is one list. */
function combine(type: 'and' | 'or', operands: Node[]): Node {
  if (operands.length === 1) return operands[0]!;
  return {
    type,
    operands: operands.flatMap((node) => (node.type === type ? node.operands : [node])),
  };
}

/** The field nearest in spelling, when it is near enough to be a typo. */
function closestField(typed: string): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  const lower = typed.toLowerCase();
  for (const field of VM_QUERY_FIELDS) {
    const name = field.name.toLowerCase();
    const distance = editDistance(lower, name);
    const allowed = Math.max(1, Math.floor(Math.max(lower.length, name.length) * 0.4));
    if (distance <= allowed && distance < bestDistance) {
      best = field.name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** "column 18" for a one-line query, "line 2, column 5" for a longer one (both 1-based). */
function describeLocation(text: string, position: number): string {
  const before = text.slice(0, position);
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = position - lineStart + 1;
  if (!text.includes('\n')) return `column ${column}`;
  const line = before.split('\n').length;
  return `line ${line}, column ${column}`;
}

// ---------------------------------------------------------------------------------------------
// Evaluation and the canonical form

type Predicate = (fields: Readonly<VmQueryFields>) => boolean;

function compile(node: Node): Predicate {
  switch (node.type) {
    case 'or': {
      const operands = node.operands.map(compile);
      return (fields) => operands.some((p) => p(fields));
    }
    case 'and': {
      const operands = node.operands.map(compile);
      return (fields) => operands.every((p) => p(fields));
    }
    case 'not': {
      const operand = compile(node.operand);
      return (fields) => !operand(fields);
    }
    case 'matches': {
      const { field, regex } = node;
      return (fields) => {
        const value = fields[field.name];
        return typeof value === 'string' && regex.test(value);
      };
    }
    case 'in': {
      const wanted = new Set(node.values.map(normalize));
      return known(node.field, (value) => wanted.has(value));
    }
    case 'compare': {
      const test = COMPARE[node.op];
      const wanted = normalize(node.value);
      return known(node.field, (value) => test(value, wanted));
    }
  }
}

/** Applies `test` to the field's value, lower-cased if text; false when the value is unknown. */
function known(field: VmQueryField, test: (value: Literal) => boolean): Predicate {
  const type = field.type === 'text' ? 'string' : 'number';
  return (fields) => {
    const value = fields[field.name];
    if (typeof value !== type || Number.isNaN(value)) return false;
    return test(normalize(value as Literal));
  };
}

function normalize(value: Literal): Literal {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

/** Both sides have the field's type (checked while parsing), text lower-cased. */
const COMPARE: Record<CompareOp, (value: Literal, wanted: Literal) => boolean> = {
  '=': (value, wanted) => value === wanted,
  '!=': (value, wanted) => value !== wanted,
  '<': (value, wanted) => value < wanted,
  '<=': (value, wanted) => value <= wanted,
  '>': (value, wanted) => value > wanted,
  '>=': (value, wanted) => value >= wanted,
  contains: (value, wanted) => (value as string).includes(wanted as string),
  startswith: (value, wanted) => (value as string).startsWith(wanted as string),
  endswith: (value, wanted) => (value as string).endsWith(wanted as string),
};

const PRECEDENCE = { or: 1, and: 2, not: 3, compare: 4, in: 4, matches: 4 } as const;

function format(node: Node): string {
  const operand = (child: Node): string =>
    PRECEDENCE[child.type] < PRECEDENCE[node.type] ? `(${format(child)})` : format(child);
  switch (node.type) {
    case 'or':
    case 'and':
      // Operands of the same kind were flattened, so equal precedence never needs parentheses.
      return node.operands.map(operand).join(` ${node.type} `);
    case 'not':
      return `not ${operand(node.operand)}`;
    case 'compare':
      return `${node.field.name} ${node.op} ${formatLiteral(node.value)}`;
    case 'in':
      return `${node.field.name} in (${node.values.map(formatLiteral).join(', ')})`;
    case 'matches':
      return `${node.field.name} matches /${node.regex.source}/`;
  }
}

function formatLiteral(value: Literal): string {
  return typeof value === 'number' ? String(value) : quote(value);
}

function quote(value: string): string {
  return `"${value.replace(/[\\"\n\r\t]/g, (c) => `\\${{ '\n': 'n', '\r': 'r', '\t': 't' }[c] ?? c}`)}"`;
}
