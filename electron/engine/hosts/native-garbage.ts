import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * lz4-napi hands back every compressed block in a native buffer that V8 does not count as
 * memory pressure, so dead ones piled up in each backup host (about 50 MB a host) until some
 * unrelated collection. A young-generation collection every `everyBytes` frees them: measured
 * on a 1 GiB full backup with 2 hosts, peak RSS 359 MB -> 258-275 MB at no measurable cost.
 * Where the collector cannot be reached, this does nothing.
 */
export function nativeGarbageCollector(everyBytes: number): (bytes: number) => void {
  let collect: ((options: { type: 'minor' }) => void) | null = null;
  try {
    v8.setFlagsFromString('--expose-gc');
    const found: unknown = runInNewContext('gc');
    if (typeof found === 'function') collect = found as (options: { type: 'minor' }) => void;
  } catch {
    collect = null;
  }
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes || !collect) return;
    since = 0;
    collect({ type: 'minor' });
  };
}
