/**
 * The safety number of two people's identity keys: 60 digits in 12 groups of 5 that both of them
 * see alike, to compare out of band (read aloud, in person). Each person's half is 30 digits
 * from SHA-512 over their name and key; the halves are put in a fixed order, so it does not
 * matter who computes it. If the server swapped a key in the middle, the two numbers differ.
 */
import { createHash } from 'node:crypto';
import { foldName } from '../../common/names.js';
import { lp } from './crypto.js';

export interface Party {
  readonly name: string;
  readonly key: Uint8Array;
}

/** 30 digits for one person: six 40-bit pieces of the digest, each taken mod 100,000. */
function half({ name, key }: Party): string {
  const digest = createHash('sha512').update('tinychat-safety/1\0').update(lp(foldName(name))).update(key).digest();
  let out = '';
  for (let i = 0; i < 6; i++) out += String(digest.readUIntBE(i * 5, 5) % 100_000).padStart(5, '0');
  return out;
}

/** "12345 67890 …": the same for (a, b) and (b, a). */
export function safetyNumber(a: Party, b: Party): string {
  const digits = [half(a), half(b)].sort().join('');
  return digits.match(/\d{5}/g)!.join(' ');
}
