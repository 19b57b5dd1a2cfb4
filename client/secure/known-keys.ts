/**
 * Identity keys seen before, pinned on first use (trust on first use, as ssh's known_hosts): per
 * server and name, the key and whether its owner's safety number was checked (`/verify yes`). A
 * different key later for a name already pinned is a change the user must accept (`/trust NAME`)
 * before a session with it starts. Kept in known-keys.json beside the identity, mode 0600,
 * written whole to a temporary file and renamed, so a crash leaves the old file or the new one.
 *
 * A file that cannot be read as such is refused (the client stops with the reason), never
 * silently replaced: an empty pin list would accept any key at all.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { foldName } from '../../common/names.js';

interface Pin {
  key: string;
  verified: boolean;
  since: string;
}

export type KeyStatus = 'new' | 'known' | 'changed';

/** Pins beyond this are not kept (the oldest go): a file that cannot grow without bound. */
const MAX_PINS = 10_000;

export class KnownKeys {
  private readonly pins: Map<string, Pin>;

  private constructor(
    readonly file: string,
    /** "host:port": a name on one server is not the same person as on another. */
    private readonly server: string,
    pins: Map<string, Pin>,
    private readonly now: () => number,
  ) {
    this.pins = pins;
  }

  /** Reads `file` (none yet: no pins). Throws an Error with one line for the user. */
  static open(file: string, server: string, now: () => number = Date.now): KnownKeys {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new KnownKeys(file, server, new Map(), now);
      throw new Error(`cannot read known keys ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const pins = new Map<string, Pin>();
    try {
      const data = JSON.parse(text) as { keys?: Record<string, Pin> };
      for (const [k, p] of Object.entries(data.keys ?? {})) {
        if (typeof p?.key !== 'string' || Buffer.from(p.key, 'base64').length !== 32) throw new Error(k);
        pins.set(k, { key: p.key, verified: p.verified === true, since: String(p.since ?? '') });
      }
    } catch {
      throw new Error(`known keys file ${file} is damaged; move it aside to start pinning again (every key will count as new)`);
    }
    return new KnownKeys(file, server, pins, now);
  }

  private id(name: string): string {
    return `${this.server}/${foldName(name)}`;
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
    while (this.pins.size > MAX_PINS) this.pins.delete(this.pins.keys().next().value!);
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
    writeFileSync(tmp, `${JSON.stringify({ version: 1, keys: Object.fromEntries(this.pins) }, null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
