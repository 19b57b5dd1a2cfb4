/**
 * Identity keys seen before, pinned on first use (trust on first use, as ssh's known_hosts): per
 * network and name, the key and whether its owner's safety number was checked (`/verify yes`). A
 * network is what the server names in login_ok (`network`): one id for every server of a
 * cluster, so reaching it through another of its servers, or failing over to one, finds the same
 * pins. A server that names none (an older one) is a network of its own, known by "host:port".
 *
 * Pins follow an address to the network found there: pins made per "host:port" (by a client
 * before networks, or with a server that had no id yet) move to the network's the first time
 * that address names one, and a server that comes back under another id (its data folder lost)
 * keeps the pins made through its address. So a server cannot shed what was pinned for it by
 * changing its id: only names not pinned yet are trusted on first use.
 *
 * A
 * different key later for a name already pinned is a change the user must accept (`/trust NAME`)
 * before a session with it starts. Kept in known-keys.json beside the identity, mode 0600,
 * written whole to a temporary file and renamed, so a crash leaves the old file or the new one.
 *
 * A file that cannot be read as such is refused (the client stops with the reason), never
 * silently replaced: an empty pin list would accept any key at all.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileProblem } from '../../common/file-errors.js';
import { foldName } from '../../common/names.js';

interface Pin {
  key: string;
  verified: boolean;
  since: string;
}

/** What the file holds: pins by "scope/name", and the network last found at each address. */
interface Saved {
  keys?: Record<string, Pin>;
  networks?: Record<string, string>;
}

export type KeyStatus = 'new' | 'known' | 'changed';

/** Pins beyond this are not kept (the oldest go): a file that cannot grow without bound. */
const MAX_PINS = 10_000;
/** Addresses whose network is remembered, at most (the oldest go). */
export const MAX_ADDRESSES = 1_000;

/** Drops `map`'s oldest entries (the first inserted) past `max`. */
function trimOldest(map: Map<string, unknown>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value!);
}

/** A network's scope: "#" and its id, which no "host:port" starts with. */
const networkScope = (network: string) => `#${network}`;

/**
 * How the file names a server's address: "host:port", an IPv6 host without the brackets
 * hostPort() gives it, as every address saved so far was written (bracketed, an IPv6 server's
 * pins would no longer be found). The port has no colon, so the last one splits it off.
 */
export const addressOf = ({ host, port }: { host: string; port: number }): string => `${host}:${port}`;

export class KnownKeys {
  /**
   * Whose pins are read and written: a network ("#id") or, for a server without one,
   * "host:port" (a name on one server is not the same person as on another). None until the
   * first login names the server (`at`): before it no key is seen or pinned.
   */
  private scope: string | null = null;

  private constructor(
    readonly file: string,
    private readonly pins: Map<string, Pin>,
    /** Address ("host:port") → the network last found there. */
    private readonly networks: Map<string, string>,
    private readonly now: () => number,
  ) {}

  /**
   * Reads `file` (none yet: no pins); whose pins are in use is for each login to say (`at`).
   * Throws an Error with one line for the user.
   */
  static open(file: string, now: () => number = Date.now): KnownKeys {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new KnownKeys(file, new Map(), new Map(), now);
      throw new Error(`cannot read known keys ${file}: ${fileProblem(e)}`);
    }
    const pins = new Map<string, Pin>();
    const networks = new Map<string, string>();
    try {
      const data = JSON.parse(text) as Saved;
      for (const [k, p] of Object.entries(data.keys ?? {})) {
        if (typeof p?.key !== 'string' || Buffer.from(p.key, 'base64').length !== 32) throw new Error(k);
        pins.set(k, { key: p.key, verified: p.verified === true, since: String(p.since ?? '') });
      }
      for (const [address, network] of Object.entries(data.networks ?? {})) {
        if (typeof network !== 'string') throw new Error(address);
        networks.set(address, network);
      }
    } catch {
      throw new Error(`known keys file ${file} is damaged; move it aside to start pinning again (every key will count as new)`);
    }
    return new KnownKeys(file, pins, networks, now);
  }

  /**
   * Logged in at `address` ("host:port"), to a server of `network` (login_ok's, when it names
   * one): its pins are the ones in use from now on. The first time the address names this
   * network, what was pinned through it moves over (see the top of the file); a name the network
   * has pinned already keeps its pin.
   */
  at(address: string, network: string | undefined): void {
    if (network === undefined) {
      this.scope = address;
      return;
    }
    const scope = networkScope(network);
    this.scope = scope;
    const before = this.networks.get(address);
    if (before === network) return;
    // Pins made per address (before networks) move; an earlier network's stay, for its other addresses.
    const from = before === undefined ? address : networkScope(before);
    for (const [k, pin] of [...this.pins]) {
      if (!k.startsWith(`${from}/`)) continue;
      const name = k.slice(from.length + 1);
      if (!this.pins.has(`${scope}/${name}`)) this.pins.set(`${scope}/${name}`, { ...pin });
      if (before === undefined) this.pins.delete(k);
    }
    trimOldest(this.pins, MAX_PINS);
    this.networks.delete(address);
    this.networks.set(address, network);
    trimOldest(this.networks, MAX_ADDRESSES);
    try {
      this.save();
    } catch {
      // Kept in memory meanwhile, and written with the next pin; the chat needs no file for it.
    }
  }

  private id(name: string): string {
    // A bug, not a user's doing: keys come with private chats, which come after a login.
    if (this.scope === null) throw new Error('known keys used before a login named the server');
    return `${this.scope}/${foldName(name)}`;
  }

  /** Whether `key` is new for `name`, the one pinned, or a different one. */
  status(name: string, key: Uint8Array): KeyStatus {
    const pin = this.pins.get(this.id(name));
    if (!pin) return 'new';
    const pinned = Buffer.from(pin.key, 'base64');
    return pinned.length === key.length && timingSafeEqual(pinned, key) ? 'known' : 'changed';
  }

  /** Whether `key` is `name`'s pinned key and was verified. */
  verified(name: string, key: Uint8Array): boolean {
    return this.status(name, key) === 'known' && this.pins.get(this.id(name))!.verified;
  }

  /** Pins `key` for `name` (first use, or `/trust NAME` after a change): not verified yet. */
  pin(name: string, key: Uint8Array): void {
    const id = this.id(name);
    this.pins.delete(id);
    this.pins.set(id, { key: Buffer.from(key).toString('base64'), verified: false, since: new Date(this.now()).toISOString() });
    trimOldest(this.pins, MAX_PINS);
    this.save();
  }

  /** `/verify yes`: the safety number with `name`'s key `key` was compared and matched. */
  markVerified(name: string, key: Uint8Array): boolean {
    if (this.status(name, key) !== 'known') return false;
    this.pins.get(this.id(name))!.verified = true;
    this.save();
    return true;
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    const saved = { version: 1, keys: Object.fromEntries(this.pins), networks: Object.fromEntries(this.networks) };
    writeFileSync(tmp, `${JSON.stringify(saved, null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
