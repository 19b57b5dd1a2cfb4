#!/usr/bin/env node
/**
 * `npm run bench:transfer`: does a file transfer slow the chat of everyone else? The real server
 * in a process of its own; alice sends bob a file (10 MiB by default) with the client's own
 * sending and receiving code (client/files: the window and the rate from the server's hello,
 * every chunk acknowledged, the file written and checked at bob's end), while carol says lines
 * to the group at a steady pace and dave times each from carol's send to its arrival. The same
 * chat runs once before the transfer, alone, for comparison. Issue 16 asks that the chat p99
 * stay under 50 ms during a 10 MiB transfer.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { hideBin } from 'yargs/helpers';
import { systemClock } from '../common/clock.js';
import { UsageError, commandLine } from '../common/cli.js';
import { FrameDecoder, encodeMessage, validate } from '../common/codec.js';
import { ChatError } from '../common/errors.js';
import { SERVER_MESSAGES, type ClientMessage, type ServerMessage } from '../common/protocol.js';
import { Incoming } from '../client/files/incoming.js';
import { Outgoing } from '../client/files/outgoing.js';
import { NO_PROGRESS } from '../client/files/progress.js';
import { BenchError } from './errors.js';
import { spawnTarget } from './server-proc.js';
import { percentile } from './stats.js';

const SERVER = new URL('../server/main.js', import.meta.url);
const MiB = 1024 * 1024;
/** File bytes a chunk carries, as the client sends them (client/files/transfers.ts). */
const CHUNK = 32 * 1024;

interface Options {
  sizeMiB: number;
  chatRate: number;
  serverArgs: string[];
  /** A folder for the server's CPU profile (node --cpu-prof), if any. */
  profile?: string;
}

/** A protocol client for the bench: one socket, the project's codec, a handler for what comes. */
class Peer {
  hello: ServerMessage<'hello'> | null = null;
  onMessage: (m: ServerMessage) => void = () => {};
  private readonly decoder = new FrameDecoder(1 << 22);

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      for (const { frame, error } of this.decoder.push(chunk)) {
        if (error) throw new BenchError(`bad frame from the server: ${error.message}`);
        const m = validate<ServerMessage>(frame, SERVER_MESSAGES);
        if (m instanceof ChatError) throw new BenchError(`bad message from the server: ${m.message}`);
        if (m.type === 'hello') this.hello = m;
        this.onMessage(m);
      }
    });
  }

  /** Connects and logs in as `user` (saying it takes files); resolves once logged in. */
  static async login(port: number, user: string): Promise<Peer> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const peer = new Peer(socket);
    await new Promise<void>((resolve, reject) => {
      peer.onMessage = (m) => {
        if (m.type === 'login_ok') resolve();
        if (m.type === 'error') reject(new BenchError(`login of ${user} refused: ${m.message}`));
      };
      peer.send({ type: 'login', user, password: 'bench-password', features: ['files'] });
    });
    peer.onMessage = () => {};
    return peer;
  }

  send(m: ClientMessage): boolean {
    return this.socket.write(encodeMessage(m));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Chat latencies (ms) from carol to dave while `during` runs, at `rate` lines a second. */
async function chatWhile(carol: Peer, dave: Peer, rate: number, during: Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  dave.onMessage = (m) => {
    if (m.type === 'msg' && m.from === 'carol') latencies.push((performance.now() * 1000 - Number(m.text)) / 1000);
  };
  let over = false;
  void during.then(() => (over = true));
  const gap = 1000 / rate;
  const start = performance.now();
  for (let n = 0; !over; n++) {
    // Paced against the start, so a late tick does not slow the rate down.
    const wait = start + n * gap - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    carol.send({ type: 'say', text: String(Math.round(performance.now() * 1000)) });
  }
  // The last lines' echo: a moment for them to arrive.
  await new Promise((r) => setTimeout(r, 200));
  return latencies;
}

/** alice sends bob `bytes` as a file; resolves with the seconds it took, once bob has checked it. */
function transfer(alice: Peer, bob: Peer, path: string, bytes: Buffer, dir: string): Promise<number> {
  const hello = alice.hello!;
  if (!hello.maxFile || !hello.fileWindow || !hello.fileRate) throw new BenchError('the server relays no files (no maxFile in its hello)');
  const sha256 = createHash('sha256').update(bytes).digest();
  const id = 'bench1';
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const incoming = new Incoming(
      { from: 'alice', id, size: bytes.length, sha256, name: 'bench.bin', dir, opener: null },
      { clock: systemClock, send: (m) => bob.send(m), progress: NO_PROGRESS, finished: (r) => ('problem' in r ? reject(new BenchError(`bob: ${r.problem}`)) : undefined) },
    );
    bob.onMessage = (m) => {
      if (m.type === 'transfer' && m.event === 'offer') void incoming.open().then(() => bob.send({ type: 'file_answer', from: 'alice', id, accept: true }));
      if (m.type === 'file_chunk') {
        const problem = incoming.chunk(m.seq, m.data, false);
        if (problem) reject(new BenchError(`bob: ${problem}`));
      }
    };
    const outgoing = new Outgoing(
      { id, to: 'bob', path, name: 'bench.bin', size: bytes.length, chunk: CHUNK, window: hello.fileWindow!, rate: hello.fileRate!, sealer: null },
      { clock: systemClock, send: (m) => alice.send(m), progress: NO_PROGRESS, failed: (why) => reject(new BenchError(`alice: ${why}`)) },
    );
    alice.onMessage = (m) => {
      if (m.type === 'transfer' && m.event === 'accepted') void outgoing.start();
      if (m.type === 'file_ack') outgoing.ack(m.seq);
      if (m.type === 'transfer' && m.event === 'done') resolve((performance.now() - start) / 1000);
      if (m.type === 'transfer' && (m.event === 'failed' || m.event === 'refused' || m.event === 'cancelled')) reject(new BenchError(`the transfer ${m.event}: ${m.message}`));
    };
    alice.send({ type: 'file_offer', to: 'bob', id, size: bytes.length, name: 'bench.bin', sha256: sha256.toString('base64') });
  });
}

interface WorkerJob {
  port: number;
  path: string;
  dir: string;
}

/** Runs the transfer (alice and bob logged in afresh) in a worker thread; its seconds. */
function transferInWorker(job: WorkerJob): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once('message', (m: { seconds?: number; error?: string }) => (m.error ? reject(new BenchError(m.error)) : resolve(m.seconds!)));
    w.once('error', reject);
  });
}

async function workerMain(job: WorkerJob): Promise<void> {
  const [alice, bob] = await Promise.all([Peer.login(job.port, 'alice'), Peer.login(job.port, 'bob')]);
  try {
    const { readFileSync } = await import('node:fs');
    const seconds = await transfer(alice, bob, job.path, readFileSync(job.path), job.dir);
    parentPort!.postMessage({ seconds });
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  } finally {
    alice.close();
    bob.close();
  }
}

const row = (label: string, ms: number[]) =>
  `${label.padEnd(28)} ${String(ms.length).padStart(6)} ${percentile(ms, 50).toFixed(2).padStart(8)} ${percentile(ms, 99).toFixed(2).padStart(8)} ${Math.max(...ms).toFixed(2).padStart(8)}`;

/** What a run measured: the transfer's seconds, chat latencies (ms) without and during it, and the report. */
export interface TransferResult {
  seconds: number;
  quiet: number[];
  during: number[];
  lines: string[];
}

export async function runTransferBench(o: Options): Promise<TransferResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-transfer-'));
  const args = ['--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'), '--data-dir', join(dir, 'data')];
  // The chat's flood limit is not what is measured: carol may say as much as the pace asks.
  args.push('--bcrypt-cost', '4', '--rate-count', '1000000000', '--rate-window', '1', '--max-file', String(Math.max(o.sizeMiB * MiB, 1)));
  const target = await spawnTarget(SERVER, [...args, ...o.serverArgs], o.profile ? ['--cpu-prof', '--cpu-prof-dir', o.profile] : []);
  const peers: Peer[] = [];
  try {
    const [carol, dave] = await Promise.all(['carol', 'dave'].map((u) => Peer.login(target.port, u)));
    peers.push(carol!, dave!);
    const bytes = randomBytes(o.sizeMiB * MiB);
    const path = join(dir, 'bench.bin');
    writeFileSync(path, bytes);
    const hello = carol!.hello!;
    // The same chat alone, for as long as the transfer is expected to take (at the server's rate).
    const alone = Math.max(2000, (bytes.length / hello.fileRate!) * 1000);
    const quiet = await chatWhile(carol!, dave!, o.chatRate, new Promise((r) => setTimeout(r, alone)));
    // alice and bob in a thread of their own: their disk and hashing work must not delay dave's clock.
    let seconds = 0;
    const during = await chatWhile(carol!, dave!, o.chatRate, transferInWorker({ port: target.port, path, dir: join(dir, 'downloads') }).then((s) => void (seconds = s)));
    const lines = [
      `file: ${o.sizeMiB} MiB from alice to bob in ${seconds.toFixed(2)} s (${(o.sizeMiB / seconds).toFixed(1)} MiB/s; server --file-rate ${(hello.fileRate! / MiB).toFixed(1)} MiB/s, window ${hello.fileWindow! / 1024} KiB), checked by SHA-256 at bob`,
      `chat: carol -> dave (group), ${o.chatRate} lines/s`,
      `${'latency (ms)'.padEnd(28)} ${'lines'.padStart(6)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}`,
      row('without a transfer', quiet),
      row('during the transfer', during),
    ];
    return { seconds, quiet, during, lines };
  } finally {
    peers.forEach((p) => p.close());
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseArgs(argv: string[]): Options {
  const a = commandLine(argv, 'npm run bench:transfer --', '$0 [options]\n\nChat latency between two users while two others transfer a file.')
    .option('size', { type: 'number', default: 10, describe: 'File size in MiB' })
    .option('chat-rate', { type: 'number', default: 200, describe: 'Group lines a second carol says meanwhile' })
    .option('server-args', { type: 'string', default: '', describe: 'Extra options for the server, e.g. --server-args="--file-rate 20971520"' })
    .option('profile', { type: 'string', describe: 'Write a CPU profile of the server into this folder (node dist/bench/profile-top.js reads it)' })
    .parseSync();
  if (!(a.size > 0 && a.size <= 1024)) throw new UsageError(`invalid --size ${a.size}: use 1 to 1024 MiB`);
  if (!(a.chatRate > 0 && a.chatRate <= 5000)) throw new UsageError(`invalid --chat-rate ${a.chatRate}: use 1 to 5000 lines a second`);
  return { sizeMiB: a.size, chatRate: a.chatRate, serverArgs: a.serverArgs.split(/\s+/).filter(Boolean), ...(a.profile ? { profile: a.profile } : {}) };
}

if (!isMainThread) {
  await workerMain(workerData as WorkerJob);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { lines } = await runTransferBench(parseArgs(hideBin(process.argv)));
    console.log(lines.join('\n'));
  } catch (e) {
    console.error(`bench:transfer: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
