/**
 * VM IDs and the small normalisations every source shares (GUIDs, MAC addresses, numbers).
 *
 * ID scheme: `<kind>:<id>`, the kind naming who assigned the ID, so IDs from different
 * hypervisors never collide and stay the same across scans:
 * - `hyperv:<guid>`   Hyper-V's VM GUID (lower case, no braces);
 * - `libvirt:<uuid>`  the domain's `<uuid>`;
 * - `vbox:<uuid>`     the VirtualBox `Machine uuid`;
 * - `folder:<hash>`   loose disks: the first 16 hex digits of sha256(absolute folder path).
 * A configuration without its own ID gets `<kind>:<hash>` of its absolute path the same way.
 */
import { createHash } from 'node:crypto';

export type IdKind = 'hyperv' | 'libvirt' | 'vbox' | 'folder';

const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

/** A GUID/UUID in lower case without braces, or null when `text` is not one. */
export function normalizeGuid(text: string | null | undefined): string | null {
  const match = GUID.exec(text?.trim() ?? '');
  return match ? match[1]!.toLowerCase() : null;
}

export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The VM ID for a hypervisor's own GUID, or derived from `absolutePath` when it has none. */
export function vmId(kind: IdKind, guid: string | null, absolutePath: string): string {
  return `${kind}:${normalizeGuid(guid) ?? hashOf(absolutePath)}`;
}

/**
 * A MAC address as lower-case colon-separated pairs ("00:15:5d:0a:1b:2c"), from any of the
 * spellings the sources use ("00155D0A1B2C", "00-15-5D-...", "52:54:00:..."). An all-zero
 * address (Hyper-V's "not assigned yet") is null; anything else unrecognised is kept as is.
 */
export function normalizeMac(text: string | null): string | null {
  if (!text) return null;
  const hex = text.replace(/[:.-]/g, '');
  if (!/^[0-9a-f]{12}$/i.test(hex)) return text.trim();
  if (/^0{12}$/.test(hex)) return null;
  return hex.toLowerCase().match(/../g)!.join(':');
}

/** A whole non-negative number from configuration text, or null. */
export function parseCount(text: string | null): number | null {
  if (text === null || !/^\s*\d+\s*$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}
