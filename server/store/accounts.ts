/**
 * Where accounts live. The embedded users file (user-file.ts) is the default; another store (a
 * shared one for several servers) implements the same interface.
 */
export interface Account {
  name: string;
  /** bcrypt hash; the password itself is never stored. */
  hash: string;
  created: string;
}

export interface AccountStore {
  /** How many accounts there are. */
  readonly size: number;
  /** Every account's name, as registered. */
  names(): Iterable<string>;
  /** The account of `name`, in any case. */
  find(name: string): Account | undefined;
  /** A registration of `name` still being written, if any. */
  inFlight(name: string): Promise<Account> | undefined;
  /**
   * Adds an account and resolves once it is durable. The caller has checked that the name is free
   * and not in flight; the name is reserved at once, so a concurrent registration sees it. A
   * shared store may still find the name taken (another server registered it a moment before):
   * it rejects with NameTaken.
   */
  create(name: string, hash: string, now: Date): Promise<Account>;
  /** Waits for writes in flight and releases the store. */
  close(): Promise<void>;
}

/** The name was registered elsewhere first (a cluster's other server): nothing was created. */
export class NameTaken extends Error {
  constructor(name: string) {
    super(`${name} is registered already`);
    this.name = 'NameTaken';
  }
}
