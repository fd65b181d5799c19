// Loaded with `node --import` by the benchmark: records the process's peak RSS when it exits.
import { writeFileSync } from 'node:fs';

const target = process.env.TESSERA_RSS_FILE;
if (target) {
  process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS * 1024)));
}
