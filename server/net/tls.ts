/**
 * Reading the TLS certificate and key, checked before anything else starts.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { fileProblem } from '../../common/file-errors.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads the TLS certificate and key and checks that they make a usable pair, so a mistake stops
 * the start with one line naming the file, not an OpenSSL trace at the first client.
 */
export function readTlsFiles(certPath: string, keyPath: string): TlsFiles {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`cannot read TLS ${what} ${path}: ${fileProblem(e)}`);
    }
  };
  const files = { cert: read('certificate', certPath), key: read('key', keyPath) };
  try {
    tls.createSecureContext(files);
  } catch (e) {
    throw new Error(`TLS certificate ${certPath} and key ${keyPath} are not usable: ${(e as Error).message}`);
  }
  return files;
}
