/**
 * The primitives of end-to-end encryption, over node:crypto alone (no dependency): X25519 for
 * the shared secret (RFC 7748), HKDF-SHA256 for keys (RFC 5869), Ed25519 signatures for
 * identities, AES-256-GCM for records (record.ts). Keys travel and are stored as raw 32-byte
 * strings; here they become KeyObjects. Nothing in this file logs or prints a key.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';

/** DER prefixes that make a raw 32-byte key a key node:crypto imports (RFC 8410). */
const DER = {
  x25519Private: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  x25519Public: Buffer.from('302a300506032b656e032100', 'hex'),
  ed25519Public: Buffer.from('302a300506032b6570032100', 'hex'),
} as const;

export const KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

function rawLength(raw: Uint8Array, what: string): Buffer {
  if (raw.length !== KEY_BYTES) throw new Error(`${what} must be ${KEY_BYTES} bytes`);
  return Buffer.from(raw);
}

/** The raw 32 bytes of a public X25519 or Ed25519 key (the end of its SPKI encoding). */
export function rawPublic(key: KeyObject): Buffer {
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - KEY_BYTES);
}

/** A fresh X25519 key pair: its private key, and its public key raw. */
export interface Ephemeral {
  readonly privateKey: KeyObject;
  readonly publicRaw: Buffer;
}

export function newEphemeral(): Ephemeral {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicRaw: rawPublic(publicKey) };
}

/** An X25519 private key from its raw scalar (the RFC's test vectors are given so). */
export function x25519PrivateFromRaw(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([DER.x25519Private, rawLength(raw, 'an X25519 private key')]), format: 'der', type: 'pkcs8' });
}

/**
 * X25519(private, their public): the 32-byte shared secret. A peer's key of small order gives the
 * all-zero secret, which OpenSSL refuses (RFC 7748 section 6.1's check); so does this, in words.
 */
export function x25519(privateKey: KeyObject, theirPublic: Uint8Array): Buffer {
  const publicKey = createPublicKey({ key: Buffer.concat([DER.x25519Public, rawLength(theirPublic, 'an X25519 public key')]), format: 'der', type: 'spki' });
  let secret: Buffer;
  try {
    secret = diffieHellman({ privateKey, publicKey });
  } catch {
    throw new Error('the peer key is not usable (a point of small order)');
  }
  if (secret.every((b) => b === 0)) throw new Error('the peer key is not usable (a point of small order)');
  return secret;
}

/** HKDF-SHA256 (RFC 5869): `length` bytes from `ikm`, with `salt` and `info`. */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/** Ed25519: a signature of `data` by `privateKey`. */
export function signEd25519(privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign(null, data, privateKey);
}

/** Ed25519: whether `signature` is `publicRaw`'s signature of `data`. */
export function verifyEd25519(publicRaw: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (publicRaw.length !== KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([DER.ed25519Public, publicRaw]), format: 'der', type: 'spki' });
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

/** Length-prefixed (2 bytes, big-endian) UTF-8: fields of a signed or derived message that cannot run into each other. */
export function lp(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}
