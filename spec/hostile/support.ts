/**
 * Helpers for the hostile-input specs: clients from another loopback address or over TLS (both
 * wrap the shared TestClient), raw sockets for garbage, and polling for server-side state.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { ServerMessage } from '../../common/protocol.js';
import { LOGIN_WAIT_MS, TestClient } from '../support/harness.js';

/** spec/fixtures in the source tree (the specs run from dist/spec/hostile). */
export const FIXTURES = fileURLToPath(new URL('../../../spec/fixtures/', import.meta.url));
export const TEST_CERT = `${FIXTURES}test-cert.pem`;
export const TEST_KEY = `${FIXTURES}test-key.pem`;

/** TestClient's constructor is private in TypeScript only; these helpers hand it other sockets. */
const wrap = (socket: net.Socket) => new (TestClient as unknown as new (s: net.Socket) => TestClient)(socket);

/** A client connecting from another loopback address (Linux routes all of 127/8 locally). */
export function connectFrom(port: number, localAddress: string): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(wrap(s)));
    s.once('error', reject);
  });
}

/** A TLS client that trusts only the test certificate. */
export function connectTls(port: number): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', ca: readFileSync(TEST_CERT), servername: 'localhost' }, () =>
      resolve(wrap(s)),
    );
    s.once('error', reject);
  });
}

/** Sends a login and returns the answer (login_ok or error). */
export function tryLogin(c: TestClient, user: string, password: string): Promise<ServerMessage> {
  const p = c.next((m) => m.type === 'login_ok' || m.type === 'error', LOGIN_WAIT_MS);
  c.send({ type: 'login', user, password });
  return p;
}

/** A plain socket that records what it receives and when it closes: for bytes TestClient would refuse. */
export interface RawClient {
  socket: net.Socket;
  received(): Buffer;
  closed: Promise<void>;
}

export function connectRaw(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: '127.0.0.1' }, () =>
      resolve({ socket, received: () => Buffer.concat(chunks), closed }),
    );
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (c) => chunks.push(c));
    socket.once('error', reject);
    socket.on('error', () => {});
  });
}

/** The log lines that contain `text`. */
export function logged(logs: string[], text: string): string[] {
  return logs.filter((l) => l.includes(text));
}
