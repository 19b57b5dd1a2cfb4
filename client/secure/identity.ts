/**
 * A client's long-term identity: an Ed25519 key pair, created at first use in the user's config
 * folder (`$XDG_CONFIG_HOME/tinychat/identity`, else `~/.config/tinychat/identity`; `--identity
 * FILE` elsewhere), as PKCS#8 PEM, mode 0600 in a folder of mode 0700. A key file others may
 * read is refused, as ssh refuses one: whoever reads it can pass for you.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileProblem } from '../../common/file-errors.js';
import { makeDirs } from '../../common/make-dirs.js';
import { rawPublic } from './crypto.js';
import type { Signer } from './bundle.js';

export interface Identity extends Signer {
  readonly file: string;
}

/** Where the identity lives by default (main.ts reads the environment and passes it here). */
export function defaultIdentityFile(env: { XDG_CONFIG_HOME?: string | undefined }, home: string): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'tinychat', 'identity');
}

/** The known-keys file: beside the identity, in the same folder. */
export function knownKeysFile(identityFile: string): string {
  return join(dirname(identityFile), 'known-keys.json');
}

/** Reads the identity at `file`, or creates it there. Throws an Error whose message is one line for the user. */
export function openIdentity(file: string): Identity {
  let mode: number;
  let pem: string;
  try {
    mode = statSync(file).mode & 0o777;
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw readable(e, file);
    return create(file);
  }
  if (mode & 0o077) throw new Error(`identity file ${file} may be read by others (mode ${mode.toString(8)}); chmod 600 ${file}`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new Error(`identity file ${file} does not hold a private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`identity file ${file} holds a ${privateKey.asymmetricKeyType} key, not Ed25519`);
  return { file, privateKey, publicRaw: rawPublic(privateKey) };
}

function create(file: string): Identity {
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    makeDirs(dirname(file), 0o700);
    // 'wx': never over a file that appeared meanwhile (another client starting at the same time).
    writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return openIdentity(file);
    throw readable(e, file);
  }
  return { file, privateKey, publicRaw: rawPublic(privateKey) };
}

function readable(e: unknown, file: string): Error {
  return new Error(`cannot use identity file ${file}: ${fileProblem(e)}`);
}
