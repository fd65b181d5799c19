import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** SHA-256 of a file's content, as hex, streamed (digest lists can be large). */
export async function fileSha256(file: string): Promise<string> {
  const sha = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    sha.update(chunk as Buffer);
  }
  return sha.digest('hex');
}
