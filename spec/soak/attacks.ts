/**
 * The attacks of "hostile at scale, round two", each run once during a soak, bounded in count and
 * time, each ending with what held: a verdict and the figures behind it. The soak prints them
 * beside the real users' round trip and the server's memory.
 */
import type { ServerMessage } from '../../common/protocol.js';
import { encodeFrame, encodeMessage } from '../../common/codec.js';
import type { Soak } from './actors.js';
import { SoakClient } from './client.js';

export interface Verdict {
  attack: string;
  held: boolean;
  what: string;
}

/** What the soak server is started with, for the attacks to check against. */
export interface Limits {
  perAddress: number;
  maxPmRequests: number;
  maxFailures: number;
  rateCount: number;
  rateWindowS: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(s: Soak, from?: string): Promise<SoakClient | null> {
  return SoakClient.connect(s.port, s.tally, from).catch(() => null);
}

async function guest(s: Soak, name: string, from?: string): Promise<SoakClient | null> {
  const c = await connect(s, from);
  if (!c) return null;
  const reply = await c.login(name, '');
  if (reply?.type !== 'login_ok') {
    c.destroy();
    return null;
  }
  s.heartbeats.add(c, reply);
  return c;
}

/** Issue 10.1: many private-chat requests to one user, then one accepted. */
export async function pmSwarm(s: Soak, limits: Limits, size = 150): Promise<Verdict> {
  const victim = await guest(s, 'pmvictim');
  if (!victim) return { attack: 'private-chat swarm', held: false, what: 'victim could not log in' };
  const swarm: SoakClient[] = [];
  const waiting: SoakClient[] = [];
  let tooMany = 0;
  for (let i = 0; i < size; i++) {
    // One address each: guests from one address share a flood limit, and a swarm is many hosts.
    const c = await guest(s, `swarm${i}`, `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
    if (!c) continue;
    swarm.push(c);
    const reply = await c.request({ type: 'pm_request', to: 'pmvictim' }, (m) => m.type === 'error' || (m.type === 'notice' && m.event === 'pm_sent'));
    if (reply?.type === 'error' && reply.code === 'PM_TOO_MANY') tooMany++;
    else if (reply?.type === 'notice') waiting.push(c);
  }
  const pending = waiting.length;
  // The first of them is accepted; the others must each be told their request is void.
  const cancelled = waiting.slice(1).map((c) => c.request({ type: 'who' }, (m) => m.type === 'notice' && m.event === 'pm_cancelled', 5000));
  const started = Date.now();
  const accepted = await victim.request({ type: 'pm_answer', accept: true }, (m) => m.type === 'notice' && m.event === 'pm_started');
  const told = (await Promise.all(cancelled)).filter((m) => m !== null).length;
  const ms = Date.now() - started;
  for (const c of [victim, ...swarm]) c.destroy();
  const held = pending === limits.maxPmRequests && tooMany === swarm.length - pending && accepted !== null && told === pending - 1;
  return {
    attack: 'private-chat swarm',
    held,
    what: `${swarm.length} requests: ${pending} pending (cap ${limits.maxPmRequests}), ${tooMany} refused PM_TOO_MANY; one accepted, ${told} told cancelled in ${ms} ms`,
  };
}

/** Issue 10.2: guests that drop TCP and keep their session alive with heartbeats alone. */
export async function ghosts(s: Soak, limits: Limits, count = 250): Promise<Verdict> {
  let made = 0;
  for (let i = 0; i < count && !s.stopping(); i++) {
    const c = await guest(s, `ghost${i}`, '127.0.2.1');
    if (!c) continue;
    s.heartbeats.keep(c);
    c.destroy();
    made++;
  }
  await sleep(500);
  const watcher = await guest(s, 'ghostwatch', '127.0.2.2');
  const who = (await watcher?.request({ type: 'who' }, (m) => m.type === 'who')) as ServerMessage<'who'> | null;
  watcher?.destroy();
  s.heartbeats.forget((name) => name.startsWith('ghost'));
  const online = who?.online.filter((n) => /^ghost\d+$/.test(n)).length ?? -1;
  return {
    attack: 'sessions kept by heartbeats alone',
    held: online >= 0 && online <= limits.perAddress,
    what: `${made} made from one address, ${online} still online (at most --max-per-address ${limits.perAddress})`,
  };
}

/** Issue 10.3: flooding, then logging out and in again to shed the mute. */
export async function muteEvasion(s: Soak, limits: Limits, seconds = 10): Promise<Verdict> {
  let accepted = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end && !s.stopping()) {
    const c = await connect(s);
    const reply = await c?.login('evader', 'pw-evader');
    if (!c || reply?.type !== 'login_ok') break;
    c.onChat = (_id, from) => from === 'evader' && accepted++;
    for (let i = 0; i < 20; i++) c.send({ type: 'say', text: `#0 evade ${i}` });
    await c.sync();
    await c.request({ type: 'logout' }, (m) => m.type === 'bye');
    c.destroy();
  }
  // The limit allows rateCount lines per window; a mute lasts longer than a window.
  const allowed = limits.rateCount * Math.ceil(seconds / limits.rateWindowS + 1);
  return { attack: 'mute shed by logging in again', held: accepted <= allowed, what: `${accepted} lines in ${seconds} s (allowed at most ${allowed})` };
}

/** Issue 10.7: telling accounts from free names by the answers, fast. */
export async function enumeration(s: Soak, limits: Limits, names: readonly string[], tries = 300): Promise<Verdict> {
  const c = await connect(s, '127.0.3.1');
  if (!c) return { attack: 'account enumeration', held: false, what: 'could not connect' };
  let telling = 0;
  let throttled = 0;
  const started = Date.now();
  for (let i = 0; i < tries && !c.closed; i++) {
    const user = i % 10 === 0 ? names[i % names.length]! : `probe${i}`;
    const reply = await c.request({ type: 'login', user, password: 'x' }, (m) => m.type === 'error' || m.type === 'login_ok');
    if (reply?.type === 'error' && reply.code === 'LOGIN_THROTTLED') throttled++;
    else if (reply?.type === 'error' && (reply.code === 'PASSWORD_RULE' || reply.code === 'BAD_PASSWORD')) telling++;
  }
  c.destroy();
  const minutes = Math.max(1, Math.ceil((Date.now() - started) / 60_000));
  return {
    attack: 'account enumeration',
    held: telling <= limits.maxFailures * minutes,
    what: `${tries} probes: ${telling} told something, ${throttled} throttled (allowed ${limits.maxFailures} a minute)`,
  };
}

/** Issue 10.9: cheap frames, before login and after. */
export async function cheapFrames(s: Soak): Promise<Verdict> {
  const stranger = await connect(s);
  if (!stranger) return { attack: 'cheap frames', held: false, what: 'could not connect' };
  const junk = encodeFrame({ type: 'nonsense' });
  stranger.socket.write(Buffer.concat(Array.from({ length: 10_000 }, () => junk)));
  await Promise.race([stranger.whenClosed(), sleep(5000)]);
  const closedBeforeLogin = stranger.closed;
  stranger.destroy();
  const pump = await guest(s, 'whopump');
  if (!pump) return { attack: 'cheap frames', held: false, what: 'pump could not log in' };
  const who = encodeMessage({ type: 'who' });
  for (let i = 0; i < 10; i++) pump.socket.write(Buffer.concat(Array.from({ length: 10_000 }, () => who)));
  await pump.sync();
  pump.destroy();
  return {
    attack: 'cheap frames',
    held: closedBeforeLogin,
    what: `10,000 unknown frames before login: ${closedBeforeLogin ? 'closed' : 'NOT closed'}; 100,000 pipelined who frames answered (see the round trip figures)`,
  };
}

/** Issue 10.10: frames trickled one byte per TCP segment, from many connections. */
export async function trickle(s: Soak, rss: () => number, connections = 20, ms = 4000): Promise<Verdict> {
  const before = rss();
  const frame = Buffer.concat([encodeFrame({ type: 'login', user: 'trickle', password: 'x'.repeat(60_000) })]);
  const conns = (await Promise.all(Array.from({ length: connections }, () => connect(s)))).filter((c): c is SoakClient => c !== null);
  for (const c of conns) c.socket.setNoDelay(true);
  const end = Date.now() + ms;
  let sent = 0;
  let peak = before;
  while (Date.now() < end && !s.stopping()) {
    for (const c of conns) if (!c.closed) c.socket.write(frame.subarray(sent, sent + 1));
    sent++;
    if (sent % 50 === 0) {
      peak = Math.max(peak, rss());
      await sleep(1);
    }
  }
  for (const c of conns) c.destroy();
  const grew = peak - before;
  return {
    attack: 'one-byte segments',
    held: grew < 32,
    what: `${conns.length} connections × ${sent} one-byte writes: server RSS +${grew.toFixed(1)} MiB`,
  };
}

/** Issue 10.13: the signals a service manager sends. */
export async function signals(s: Soak, pid: number, log: () => string): Promise<Verdict> {
  process.kill(pid, 'SIGHUP');
  process.kill(pid, 'SIGUSR2');
  await sleep(1000);
  const probe = await guest(s, 'afterhup');
  const alive = probe !== null;
  probe?.destroy();
  const reopened = log().includes('SIGHUP: log file reopened');
  return { attack: 'SIGHUP, SIGUSR2', held: alive && reopened, what: `${alive ? 'still serving' : 'NOT serving'}, log ${reopened ? 'reopened' : 'NOT reopened'}` };
}

/** Real users' view: a who round trip every 100 ms for the whole run. */
export class Prober {
  readonly times: number[] = [];
  private stopped = false;

  async run(s: Soak): Promise<void> {
    const c = await connect(s, '127.0.4.1');
    if (!c) return;
    const reply = await c.login('prober', 'pw-prober');
    if (reply?.type !== 'login_ok') return;
    s.heartbeats.add(c, reply);
    while (!this.stopped && !s.stopping()) {
      const t = performance.now();
      if ((await c.request({ type: 'who' }, (m) => m.type === 'who')) === null) break;
      this.times.push(performance.now() - t);
      await sleep(100);
    }
    c.destroy();
  }

  /** p50, p99 and max, in ms. */
  summary(): { p50: number; p99: number; max: number; samples: number } {
    const sorted = [...this.times].sort((a, b) => a - b);
    const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN) * 10) / 10;
    return { p50: at(0.5), p99: at(0.99), max: at(1), samples: sorted.length };
  }
}
