/**
 * Brute-force and enumeration protection for logins, by address first and by account second:
 * - an address gets `maxFailures` failures a minute; every answer that tells whether a name is an
 *   account (a wrong password, a password rule applied to a new name, a guest login refused
 *   because the name is taken) counts as one, so names cannot be probed faster than guessed;
 * - an account gets 4 × `maxFailures` failures in 10 minutes from addresses it has not logged in
 *   from: guessing spread over many addresses is slowed, but a stranger cannot lock the owner
 *   out, since the owner's own recent addresses (it logged in from them) skip the account count;
 * - at most `maxFailures` password checks per address and per account run at once. Failures are
 *   only known once bcrypt answers, so without this many connections guessing in parallel would
 *   all pass before the first failure was counted. A further attempt waits for a running check
 *   to finish and looks again;
 * - new accounts: `maxRegistrations` an hour per address, registrations still hashing included,
 *   so that many sent at once cannot all pass before the first is counted (on a cluster, those
 *   under way are counted per server, like running password checks; made accounts everywhere).
 */
import type { Clock } from '../../common/clock.js';
import { FailureTracker } from './failures.js';

const ADDRESS_WINDOW_MS = 60_000;
const ACCOUNT_WINDOW_MS = 10 * 60_000;
const ACCOUNT_FACTOR = 4;
const REGISTRATION_WINDOW_MS = 60 * 60_000;
/** Addresses remembered per account as its owner's. */
const TRUSTED_PER_ACCOUNT = 8;

export interface Admission {
  /** Seconds to wait before trying again; 0 when the attempt may go ahead. */
  wait: number;
  /** Gives up the attempt's place among the running checks; safe to call twice. */
  release(): void;
}

const addrKey = (address: string) => `addr:${address}`;
const userKey = (account: string) => `user:${account}`;
const regKey = (address: string) => `reg:${address}`;

export class LoginGate {
  private readonly byAddress: FailureTracker;
  private readonly byAccount: FailureTracker;
  private readonly registrations: FailureTracker;
  /** Account (folded name) → addresses it logged in from, most recent last. */
  private readonly trusted = new Map<string, string[]>();
  /** Password checks running, per key; and registrations under way, per address (`reg:`). */
  private readonly running = new Map<string, number>();
  /**
   * Attempts waiting for a place, per key, first come first served. A finished check wakes one
   * waiter of each of its keys, not all of them: 10,000 logins from one address would otherwise
   * wake 10,000 waiters per check (measured: ~2 s of the idle benchmark's login phase).
   */
  private readonly queues = new Map<string, (() => void)[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly clock: Clock,
    maxRegistrations = Infinity,
  ) {
    this.byAddress = new FailureTracker(maxFailures, ADDRESS_WINDOW_MS);
    this.byAccount = new FailureTracker(ACCOUNT_FACTOR * maxFailures, ACCOUNT_WINDOW_MS);
    this.registrations = new FailureTracker(maxRegistrations, REGISTRATION_WINDOW_MS);
  }

  /**
   * Waits for a place among the running password checks for `account` (a folded name) from
   * `address`, or says how long to wait.
   */
  async admit(account: string, address: string): Promise<Admission> {
    const keys = this.keysFor(account, address);
    /** The key whose queue woke us: a place there is ours to take or to pass on. */
    let wokenOn: string | undefined;
    for (;;) {
      const wait = Math.max(...keys.map((k) => this.waitFor(k)));
      if (wait > 0) {
        if (wokenOn !== undefined) this.wakeNext(wokenOn);
        return { wait, release: () => {} };
      }
      const full = keys.find((k) => (this.running.get(k) ?? 0) >= this.maxFailures);
      if (full === undefined) break;
      if (wokenOn !== undefined && wokenOn !== full) this.wakeNext(wokenOn);
      // Taken again before we ran: keep our turn at the front.
      const first = wokenOn === full;
      await new Promise<void>((wake) => {
        const queue = this.queues.get(full) ?? [];
        if (first) queue.unshift(wake);
        else queue.push(wake);
        this.queues.set(full, queue);
      });
      wokenOn = full;
    }
    // Taken in the same turn as the check above, so no other attempt can slip in between.
    return this.take(keys);
  }

  /** A wrong password for `account` from `address`. */
  fail(account: string, address: string): void {
    const now = this.clock.monotonic();
    for (const key of this.keysFor(account, address)) {
      if (key.startsWith('addr:')) this.byAddress.fail(key, now);
      else this.byAccount.fail(key, now);
    }
  }

  /** `account` logged in from `address`: the owner's address from now on. */
  succeeded(account: string, address: string): void {
    const list = (this.trusted.get(account) ?? []).filter((a) => a !== address);
    list.push(address);
    this.trusted.set(account, list.slice(-TRUSTED_PER_ACCOUNT));
  }

  /** Seconds `address` must wait before an attempt that may tell a name's existence. */
  waitForAddress(address: string): number {
    return this.waitFor(addrKey(address));
  }

  /** An answer that told `address` whether a name is an account: counted like a failure. */
  revealed(address: string): void {
    this.byAddress.fail(addrKey(address), this.clock.monotonic());
  }

  /** Seconds `address` must wait before it may create another account. */
  waitToRegister(address: string): number {
    return this.registrations.waitFor(address, this.clock.monotonic(), this.running.get(regKey(address)) ?? 0);
  }

  /**
   * Takes a place for a registration from `address` among those under way, or says how long to
   * wait. The place is given back with release(), whatever happens to the registration; one that
   * made an account calls registered() first, so it is never counted nowhere.
   */
  startRegistration(address: string): Admission {
    const wait = this.waitToRegister(address);
    return wait > 0 ? { wait, release: () => {} } : this.take([regKey(address)]);
  }

  registered(address: string): void {
    this.registrations.fail(address, this.clock.monotonic());
  }

  /** Forgets failures that have aged out. */
  sweep(): void {
    const now = this.clock.monotonic();
    this.byAddress.sweep(now);
    this.byAccount.sweep(now);
    this.registrations.sweep(now);
  }

  /** The address always; the account too, unless the owner has logged in from this address. */
  private keysFor(account: string, address: string): string[] {
    const own = this.trusted.get(account)?.includes(address) ?? false;
    return own ? [addrKey(address)] : [userKey(account), addrKey(address)];
  }

  private waitFor(key: string): number {
    const now = this.clock.monotonic();
    return key.startsWith('addr:') ? this.byAddress.waitFor(key, now) : this.byAccount.waitFor(key, now);
  }

  /** A place under each of `keys`, given back once however often release() is called. */
  private take(keys: string[]): Admission {
    for (const key of keys) this.running.set(key, (this.running.get(key) ?? 0) + 1);
    let released = false;
    return {
      wait: 0,
      release: () => {
        if (released) return;
        released = true;
        for (const key of keys) this.leave(key);
      },
    };
  }

  private leave(key: string): void {
    const left = (this.running.get(key) ?? 1) - 1;
    if (left > 0) this.running.set(key, left);
    else this.running.delete(key);
    this.wakeNext(key);
  }

  private wakeNext(key: string): void {
    const queue = this.queues.get(key);
    const next = queue?.shift();
    if (queue?.length === 0) this.queues.delete(key);
    next?.();
  }
}
