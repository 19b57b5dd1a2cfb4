/**
 * The soak's cast: well-behaved chatters and witnesses, and the hostile rest (floods, readers
 * that stop, garbage, vandals, password guessers, slowloris, connection hogs). Each runs its loop
 * until the run is stopping, and counts what happened in the shared tally.
 */
import dgram from 'node:dgram';
import { encodeHeartbeat } from '../../common/heartbeat.js';
import type { ServerMessage } from '../../common/protocol.js';
import { SoakClient } from './client.js';
import type { Tally } from './tally.js';

export interface Soak {
  port: number;
  tally: Tally;
  /** Deterministic randomness (seeded), so a run can be repeated. */
  random(): number;
  stopping(): boolean;
  heartbeats: Heartbeats;
  /** Chatters online now, for private messages. */
  online: Set<string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (s: Soak, lo: number, hi: number) => lo + Math.floor(s.random() * (hi - lo + 1));
const pick = <T>(s: Soak, xs: readonly T[]): T => xs[Math.floor(s.random() * xs.length)]!;

/** Waits up to `ms`, waking early when the run stops. */
async function pause(s: Soak, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!s.stopping() && Date.now() < end) await sleep(Math.min(250, end - Date.now()));
}

const WORDS = ['hello', 'héllo', 'Grüße', '你好', '👋', 'tab\there', 'two\nlines', 'ok', 'lol', '🚀🚀', 'مرحبا', 'zdravo'];
function chatText(s: Soak, id: number, size = between(s, 1, 40)): string {
  const words = Array.from({ length: size }, () => pick(s, WORDS));
  return `#${id} ${words.join(' ')}`;
}

/** UDP heartbeats for every logged-in soak client, every 5 s, as the real client sends them. */
export class Heartbeats {
  private readonly socket = dgram.createSocket('udp4');
  private readonly sessions = new Map<SoakClient, { id: string; secret: Buffer; seq: bigint }>();
  /** Clients whose session is kept alive after their connection closes (an attack). */
  private readonly kept = new Set<SoakClient>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly udpPort: number) {
    this.socket.unref();
    this.timer = setInterval(() => this.beat(), 5000);
  }

  add(c: SoakClient, me: ServerMessage<'login_ok'>): void {
    if (me.session && me.secret) this.sessions.set(c, { id: me.session, secret: Buffer.from(me.secret, 'base64'), seq: 0n });
    void c.whenClosed().then(() => this.kept.has(c) || this.sessions.delete(c));
  }

  /** Goes on beating for `c`'s session after its connection closes. */
  keep(c: SoakClient): void {
    this.kept.add(c);
  }

  /** Stops beating for the kept sessions whose user `matches`. */
  forget(matches: (user: string) => boolean): void {
    for (const c of this.kept) {
      if (!matches(c.me?.user ?? '')) continue;
      this.kept.delete(c);
      this.sessions.delete(c);
    }
  }

  private beat(): void {
    for (const s of this.sessions.values()) {
      this.socket.send(encodeHeartbeat(s.id, s.seq++, s.secret), this.udpPort, '127.0.0.1');
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close();
  }
}

/** Connects and logs in (registering the first time); null when refused. */
async function join(s: Soak, user: string, counted = 'logins'): Promise<SoakClient | null> {
  const c = await SoakClient.connect(s.port, s.tally).catch(() => null);
  if (!c) return null;
  const reply = await c.login(user, `pw-${user}`);
  if (reply?.type !== 'login_ok') {
    s.tally.count('login refused', reply?.type === 'error' ? reply.code : 'no answer');
    c.destroy();
    return null;
  }
  s.tally.count('events', counted);
  s.heartbeats.add(c, reply);
  return c;
}

/** Records the ids the server accepted from `user` (echoed back to them). */
function trackAccepted(s: Soak, c: SoakClient, user: string, also?: (id: number) => void): void {
  c.onChat = (id, from) => {
    if (from === user) s.tally.accepted.add(id);
    also?.(id);
  };
}

/**
 * Stays logged in, reads everything, never misbehaves: every line the server accepted must reach
 * it. Resolves with the ids it saw, once the run stops.
 */
export async function witness(s: Soak, user: string, ready: () => void): Promise<{ seen: Set<number>; client: SoakClient | null }> {
  const seen = new Set<number>();
  const c = await join(s, user);
  if (c) c.onChat = (id) => seen.add(id);
  ready();
  while (!s.stopping() && c && !c.closed) await pause(s, 1000);
  return { seen, client: c };
}

/** Chats at a human pace: group lines, private messages, who; now and then drops its TCP connection. */
export async function chatter(s: Soak, user: string): Promise<SoakClient | null> {
  let c: SoakClient | null = null;
  while (!s.stopping()) {
    c = await join(s, user);
    if (!c) {
      await pause(s, 1000);
      continue;
    }
    trackAccepted(s, c, user);
    s.online.add(user);
    while (!s.stopping() && !c.closed) {
      const roll = s.random();
      if (roll < 0.8) {
        const id = s.tally.id();
        c.send({ type: 'say', text: chatText(s, id) });
        s.tally.sent++;
      } else if (roll < 0.9) {
        const to = pick(s, [...s.online]);
        c.send({ type: 'dm', to, text: chatText(s, s.tally.id()) });
        s.tally.count('events', 'private messages');
      } else if (roll < 0.98) {
        await c.sync();
      } else {
        // A dropped connection (no logout): first let the server answer what was sent.
        await c.sync();
        c.destroy();
        s.tally.count('events', 'abrupt disconnects');
        break;
      }
      await pause(s, between(s, 300, 1500));
    }
    s.online.delete(user);
    if (!s.stopping()) await pause(s, between(s, 200, 2000));
  }
  return c && !c.closed ? c : null;
}

/** Sends bursts of large lines, gets muted, waits, does it again. */
export async function flooder(s: Soak, user: string): Promise<SoakClient | null> {
  let c: SoakClient | null = null;
  while (!s.stopping()) {
    if (!c || c.closed) c = await join(s, user);
    if (!c) {
      await pause(s, 1000);
      continue;
    }
    trackAccepted(s, c, user);
    for (let i = 0; i < 12; i++) {
      c.send({ type: 'say', text: `${chatText(s, s.tally.id(), 1)} ${'F'.repeat(between(s, 16_000, 60_000))}` });
      s.tally.sent++;
    }
    s.tally.count('events', 'floods');
    await c.sync();
    await pause(s, between(s, 3_000, 8_000));
  }
  return c && !c.closed ? c : null;
}

/** Logs in, stops reading for a while, then looks whether the server dropped it. */
export async function slowReader(s: Soak, user: string): Promise<void> {
  while (!s.stopping()) {
    const c = await join(s, user);
    if (!c) {
      await pause(s, 1000);
      continue;
    }
    c.socket.pause();
    await pause(s, between(s, 20_000, 50_000));
    c.socket.resume();
    const alive = await c.sync();
    s.tally.count('events', alive ? 'slow readers that caught up' : 'slow readers dropped');
    c.destroy();
    await pause(s, 1000);
  }
}

/** Connects, sends random bytes, waits for the server to close (or gives up), repeats. */
export async function garbage(s: Soak): Promise<void> {
  while (!s.stopping()) {
    const c = await SoakClient.connect(s.port, s.tally).catch(() => null);
    if (c) {
      const bytes = Buffer.from(Array.from({ length: between(s, 1, 2000) }, () => between(s, 0, 255)));
      // Half of them with a short header length, so the server reads a whole (bad) header.
      if (s.random() < 0.5 && bytes.length > 2) bytes.writeUInt16BE(between(s, 0, bytes.length - 2));
      c.socket.write(bytes);
      await Promise.race([c.whenClosed(), sleep(1000)]);
      s.tally.count('events', c.closed ? 'garbage connections closed by server' : 'garbage connections abandoned');
      c.destroy();
    }
    await pause(s, between(s, 100, 800));
  }
}

/** A logged-in user who sends everything the server must refuse. */
export async function vandal(s: Soak, user: string): Promise<void> {
  const bad = [
    (c: SoakClient) => c.send({ type: 'say', text: 'clear \u001b[2J screen' }),
    (c: SoakClient) => c.send({ type: 'say', text: 'over\rwrite' }),
    (c: SoakClient) => c.send({ type: 'dm', to: 'nobody-here', text: 'hi' }),
    (c: SoakClient) => c.send({ type: 'launch' } as never),
    (c: SoakClient) => c.send({ type: 'dm', to: 42 } as never),
    (c: SoakClient) => c.socket.write(Buffer.from([0, 30, ...Buffer.from('{"type":"say","content-length":999999}').subarray(0, 30)])),
  ];
  while (!s.stopping()) {
    const c = await join(s, user);
    if (!c) {
      await pause(s, 1000);
      continue;
    }
    while (!s.stopping() && !c.closed) {
      pick(s, bad)(c);
      s.tally.count('events', 'vandal sends');
      await pause(s, between(s, 200, 1500));
    }
    c.destroy();
  }
}

/** Guesses passwords of decoy accounts from its own loopback address; obeys "try again in". */
export async function guesser(s: Soak, from: string, decoys: string[]): Promise<void> {
  while (!s.stopping()) {
    const c = await SoakClient.connect(s.port, s.tally, from).catch(() => null);
    if (!c) {
      await pause(s, 1000);
      continue;
    }
    while (!s.stopping() && !c.closed) {
      const long = s.random() < 0.1;
      const password = long ? 'p'.repeat(100) : `guess${between(s, 0, 1e6)}`;
      const reply = await c.request({ type: 'login', user: pick(s, decoys), password }, (m) => m.type === 'error' || m.type === 'login_ok');
      s.tally.count('events', 'password guesses');
      if (reply?.type === 'login_ok') s.tally.count('events', 'GUESSED A PASSWORD');
      const wait = reply?.type === 'error' && reply.code === 'LOGIN_THROTTLED' ? (reply.retry ?? 1) * 1000 : between(s, 100, 600);
      await pause(s, Math.min(wait, 5000));
    }
    c.destroy();
  }
}

/** Trickles bytes that never make a login, until the login deadline closes it. */
export async function slowloris(s: Soak): Promise<void> {
  while (!s.stopping()) {
    const c = await SoakClient.connect(s.port, s.tally).catch(() => null);
    if (!c) {
      await pause(s, 1000);
      continue;
    }
    const started = Date.now();
    const bytes = Buffer.from([0, 250, ...Buffer.from('{"type":"login","user":"slowloris","password":"')]);
    for (let i = 0; i < bytes.length && !c.closed && !s.stopping(); i++) {
      c.socket.write(bytes.subarray(i, i + 1));
      await sleep(1000);
    }
    if (!c.closed && !s.stopping()) await Promise.race([c.whenClosed(), pause(s, 60_000)]);
    if (c.closed) s.tally.count('slowloris closed after (s)', String(Math.round((Date.now() - started) / 1000)));
    c.destroy();
  }
}

/** Opens more connections from one address than allowed, counts the refusals, lets go. */
export async function hog(s: Soak, from: string, perAddress: number): Promise<void> {
  while (!s.stopping()) {
    const opened = await Promise.all(
      Array.from({ length: perAddress + 10 }, () => SoakClient.connect(s.port, s.tally, from).catch(() => null)),
    );
    await pause(s, 2000);
    for (const c of opened) c?.destroy();
    s.tally.count('events', 'connection hogs');
    await pause(s, between(s, 10_000, 20_000));
  }
}
