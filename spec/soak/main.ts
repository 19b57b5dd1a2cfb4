#!/usr/bin/env node
/**
 * npm run soak [-- --seconds 120 --clients 40 --seed 1]
 *
 * Starts the built server as a child process on 127.0.0.1 (free ports, a temp folder), runs
 * minutes of random traffic and faults against it (see actors.ts), and once each the attacks of
 * attacks.ts, then checks that every chat line the server accepted reached every witness, and
 * prints what held: traffic, errors by code, each attack's verdict, a real user's round trip
 * (p50/p99/max), the server's memory (RSS start/peak/end) and whether it stayed up. Bounded in
 * time and count. Exit code 0 when the server stayed up, lost nothing, logged no internal error
 * and every attack held.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { chatter, flooder, garbage, guesser, Heartbeats, hog, slowloris, slowReader, vandal, witness, type Soak } from './actors.js';
import { Prober, cheapFrames, enumeration, ghosts, muteEvasion, pmSwarm, signals, trickle, type Limits, type Verdict } from './attacks.js';
import { SoakClient } from './client.js';
import { Tally } from './tally.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));
const PER_ADDRESS = 100;
/** The server's limits, as started below, for the attacks to check against. */
const LIMITS: Limits = { perAddress: PER_ADDRESS, maxPmRequests: 20, maxFailures: 5, rateCount: 8, rateWindowS: 5 };

const args = yargs(hideBin(process.argv))
  .scriptName('soak')
  .option('seconds', { type: 'number', default: 120, describe: 'How long the traffic runs (at most 3600)' })
  .option('clients', { type: 'number', default: 40, describe: 'Chatters (the hostile cast comes on top; at most 500)' })
  .option('seed', { type: 'number', default: 1, describe: 'Seed for the random choices' })
  .strict()
  .parseSync();
const seconds = Math.min(Math.max(args.seconds, 5), 3600);
const clients = Math.min(Math.max(args.clients, 2), 500);

/** xorshift32: the same seed gives the same choices. */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function startServer(dir: string): Promise<{ child: ChildProcess; port: number; udpPort: number }> {
  const child = spawn(
    process.execPath,
    [MAIN, '--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'), '--data-dir', join(dir, 'data'),
      '--bcrypt-cost', '8', '--login-timeout', '5', '--max-output', String(256 * 1024),
      '--max-per-address', String(PER_ADDRESS), '--max-connections', '2000', '--allow-guests', '--min-password', '4',
      '--max-registrations', '1000', '--max-pm-requests', String(LIMITS.maxPmRequests), '--max-failures', String(LIMITS.maxFailures)],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /tcp:\/\/127\.0\.0\.1:(\d+) and udp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), udpPort: Number(m[2]) });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready`)));
  });
}

/** Resident memory of a process, in MiB (Linux /proc), or NaN elsewhere. */
function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-soak-'));
  const { child, port, udpPort } = await startServer(dir);
  let exitedEarly: string | null = null;
  child.once('exit', (code, signal) => (exitedEarly = `exit ${code ?? signal}`));
  const rss = { start: rssMiB(child.pid!), peak: 0, end: 0 };
  rss.peak = rss.start;
  const sampler = setInterval(() => (rss.peak = Math.max(rss.peak, rssMiB(child.pid!) || 0)), 500);

  const tally = new Tally();
  let stop = false;
  const heartbeats = new Heartbeats(udpPort);
  const soak: Soak = { port, tally, random: seeded(args.seed), stopping: () => stop, heartbeats, online: new Set() };
  const started = Date.now();
  process.stderr.write(`soak: server on 127.0.0.1:${port}, ${clients} chatters, ${seconds} s\n`);

  // Witnesses first, so every accepted line was sent while they were online.
  let ready = 0;
  const witnesses = [1, 2, 3].map((i) => witness(soak, `witness${i}`, () => ready++));
  while (ready < 3) await new Promise((r) => setTimeout(r, 10));
  const decoys = ['decoy1', 'decoy2', 'decoy3'];
  for (const d of decoys) (await SoakClient.connect(port, tally).then(async (c) => (await c.login(d, `pw-${d}`), c)))?.destroy();

  const cast: Promise<unknown>[] = [
    ...Array.from({ length: clients }, (_, i) => chatter(soak, `chatter${i}`)),
    ...Array.from({ length: Math.max(1, Math.round(clients / 5)) }, (_, i) => flooder(soak, `flooder${i}`)),
    ...Array.from({ length: Math.max(1, Math.round(clients / 10)) }, (_, i) => slowReader(soak, `slow${i}`)),
    garbage(soak),
    garbage(soak),
    vandal(soak, 'vandal'),
    guesser(soak, '127.0.0.2', decoys),
    guesser(soak, '127.0.0.3', decoys),
    slowloris(soak),
    hog(soak, '127.0.0.4', PER_ADDRESS),
  ];
  const prober = new Prober();
  const probing = prober.run(soak);
  const serverLog = () => readFileSync(join(dir, 'server.log'), 'utf8');
  // The attacks, one after the other, while the traffic runs.
  const attacks = (async (): Promise<Verdict[]> => {
    const verdicts: Verdict[] = [];
    const steps = [
      () => pmSwarm(soak, LIMITS),
      () => ghosts(soak, LIMITS),
      () => muteEvasion(soak, LIMITS),
      () => enumeration(soak, LIMITS, decoys),
      () => cheapFrames(soak),
      () => trickle(soak, () => rssMiB(child.pid!)),
      () => signals(soak, child.pid!, serverLog),
    ];
    for (const step of steps) {
      if (stop) break;
      verdicts.push(await step());
      process.stderr.write(`soak: ${verdicts.at(-1)!.attack}: ${verdicts.at(-1)!.held ? 'held' : 'BROKE'}\n`);
    }
    return verdicts;
  })();
  const progress = setInterval(() => {
    const t = Math.round((Date.now() - started) / 1000);
    process.stderr.write(`soak: ${t} s, sent ${tally.sent}, received ${tally.received}, server RSS ${rssMiB(child.pid!).toFixed(0)} MiB\n`);
  }, 10_000);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  clearInterval(progress);
  const ends = await Promise.all(cast);
  const verdicts = await attacks;
  await probing;

  // Let everything in flight arrive: each sender syncs (its echoes are in), then each witness.
  for (const c of ends) if (c instanceof SoakClient) await c.sync();
  const seenBy = await Promise.all(witnesses);
  for (const w of seenBy) await w.client?.sync();
  rss.end = rssMiB(child.pid!);
  clearInterval(sampler);
  heartbeats.close();

  const lost = seenBy.map((w) => [...tally.accepted].filter((id) => !w.seen.has(id)).length);
  const witnessesUp = seenBy.filter((w) => w.client && !w.client.closed).length;
  const upAtEnd = exitedEarly === null;
  child.kill('SIGTERM');
  const exit = await new Promise<string>((resolve) =>
    child.exitCode !== null ? resolve(`exit ${child.exitCode}`) : child.once('exit', (code, sig) => resolve(`exit ${code ?? sig}`)),
  );
  const log = readFileSync(join(dir, 'server.log'), 'utf8');
  const internal = log.split('\n').filter((l) => / ERROR /.test(l));
  const slowDrops = log.split('\n').filter((l) => l.includes('(slow reader)')).length;

  const report = {
    seconds: Math.round((Date.now() - started) / 1000),
    chatters: clients,
    'group lines sent': tally.sent,
    'group lines accepted (echoed to sender)': tally.accepted.size,
    'chat frames received (all clients)': tally.received,
    'accepted lines missing, per witness': lost,
    'witnesses still connected': `${witnessesUp}/3`,
    'server errors sent, by code': tally.get('errors'),
    'logins refused, by code': tally.get('login refused'),
    'client-side decode errors': tally.get('client decode errors'),
    'requests unanswered (10 s)': tally.get('timeouts'),
    'slowloris closed after (s)': tally.get('slowloris closed after (s)'),
    events: tally.get('events'),
    'slow readers dropped (server log)': slowDrops,
    attacks: Object.fromEntries(verdicts.map((v) => [v.attack, `${v.held ? 'held' : 'BROKE'}: ${v.what}`])),
    'a real user\'s who round trip (ms)': prober.summary(),
    'server RSS MiB': { start: round(rss.start), peak: round(rss.peak), end: round(rss.end) },
    'server stayed up': upAtEnd ? 'yes' : `NO (${exitedEarly})`,
    'server stop': exit,
    'ERROR lines in server log': internal.length,
  };
  console.log(JSON.stringify(report, null, 2));
  for (const line of internal.slice(0, 5)) console.log(`  ${line}`);
  const ok = upAtEnd && lost.every((n) => n === 0) && witnessesUp === 3 && internal.length === 0 && verdicts.every((v) => v.held);
  console.log(ok ? 'soak: held' : 'soak: FAILED');
  rmSync(dir, { recursive: true, force: true });
  process.exit(ok ? 0 : 1);
}

const round = (n: number) => Math.round(n * 10) / 10;

main().catch((e) => {
  console.error(`soak: ${(e as Error).stack ?? e}`);
  process.exit(2);
});
