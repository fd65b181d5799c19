/**
 * Reading the XML configuration files of the hypervisors: decode (UTF-8 or UTF-16, as Hyper-V
 * writes), check well-formedness (fast-xml-parser does not reject malformed input by itself),
 * parse, and walk the result with case-insensitive lookups so small spelling differences
 * between hypervisor versions do not hide a value.
 */
import { readFile, stat } from 'node:fs/promises';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ConfigFileError, describeFsError } from './scan-collector.js';

/** No VM configuration comes near this; a larger file is not one. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const ATTRIBUTE = '@_';
const TEXT = '#text';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE,
  textNodeName: TEXT,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: true,
  // Every element becomes an array, so one child and many children read the same way.
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

type RawElement = Record<string, unknown>;

/** One element of a parsed document. Lookups by name ignore case. */
export class XmlNode {
  constructor(
    readonly name: string,
    private readonly raw: RawElement,
  ) {}

  /** Child elements, in document order per name; all of them when no name is given. */
  children(name?: string): XmlNode[] {
    const wanted = name?.toLowerCase();
    const found: XmlNode[] = [];
    for (const [key, value] of Object.entries(this.raw)) {
      if (key.startsWith(ATTRIBUTE) || key === TEXT) continue;
      if (wanted !== undefined && key.toLowerCase() !== wanted) continue;
      for (const item of Array.isArray(value) ? value : [value]) found.push(toNode(key, item));
    }
    return found;
  }

  child(name: string): XmlNode | null {
    return this.children(name)[0] ?? null;
  }

  /** Follows a path of child names: `node.at('settings', 'memory', 'bank')`. */
  at(...names: string[]): XmlNode | null {
    const [first, ...rest] = names;
    if (first === undefined) return this;
    const next = this.child(first);
    return next ? next.at(...rest) : null;
  }

  /** The element's own text, trimmed; null when empty. */
  text(): string | null {
    const value = this.raw[TEXT];
    const text = typeof value === 'string' ? value.trim() : '';
    return text.length > 0 ? text : null;
  }

  /** Text of the first child with that name (or path of names). */
  textAt(...names: string[]): string | null {
    return this.at(...names)?.text() ?? null;
  }

  attr(name: string): string | null {
    const wanted = `${ATTRIBUTE}${name}`.toLowerCase();
    for (const [key, value] of Object.entries(this.raw)) {
      if (key.toLowerCase() === wanted && typeof value === 'string') {
        const trimmed = value.trim();
        return trimmed.length > 0 ? trimmed : null;
      }
    }
    return null;
  }
}

function toNode(name: string, value: unknown): XmlNode {
  if (value !== null && typeof value === 'object') return new XmlNode(name, value as RawElement);
  return new XmlNode(name, value === '' || value === undefined ? {} : { [TEXT]: String(value) });
}

/**
 * Text of an XML file, decoded by its byte order mark (or, without one, by where the zero
 * bytes of a UTF-16 `<` fall). Hyper-V writes UTF-16LE; libvirt and VirtualBox write UTF-8.
 */
export function decodeXml(bytes: Buffer): string {
  const [a, b, c] = [bytes[0], bytes[1], bytes[2]];
  if (a === 0xef && b === 0xbb && c === 0xbf) return bytes.subarray(3).toString('utf8');
  if (a === 0xff && b === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (a === 0xfe && b === 0xff) return swapBytes(bytes.subarray(2)).toString('utf16le');
  if (a === 0x3c && b === 0x00) return bytes.toString('utf16le');
  if (a === 0x00 && b === 0x3c) return swapBytes(bytes).toString('utf16le');
  return bytes.toString('utf8');
}

function swapBytes(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes.subarray(0, bytes.byteLength & ~1));
  return copy.swap16();
}

/** Parses XML text; malformed input is a ConfigFileError naming the line and column. */
export function parseXml(text: string, file: string): XmlNode {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    throw new ConfigFileError(file, `malformed XML at line ${line}, column ${col}: ${msg}`);
  }
  const document = toNode('#document', parser.parse(text) as unknown);
  const root = document.children()[0];
  if (!root) throw new ConfigFileError(file, 'the XML document has no root element');
  return root;
}

/** Reads, decodes and parses one configuration file; returns its root element. */
export async function readXmlFile(file: string): Promise<XmlNode> {
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new ConfigFileError(file, 'is not a file');
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigFileError(
        file,
        `is ${info.size} bytes, larger than any VM configuration (${MAX_CONFIG_BYTES} at most)`,
      );
    }
    bytes = await readFile(file);
  } catch (error) {
    if (error instanceof ConfigFileError) throw error;
    throw new ConfigFileError(file, `cannot read: ${describeFsError(error)}`, { cause: error });
  }
  return parseXml(decodeXml(bytes), file);
}
