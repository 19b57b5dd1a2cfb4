/**
 * The servers a client may use: one (`--host`, `--port`), or those of a cluster (`--server`,
 * repeated or separated by commas). Pure: parsing what was typed, and which server comes next.
 *
 * The client stays on the server it is using for as long as that server takes it back; only when
 * an attempt on it fails does it go on with the next in the order given, coming round to the
 * first again after the last (the reconnect backoff paces the attempts, see failover.ts).
 */
import { hostPort } from '../common/address.js';

export interface Server {
  host: string;
  port: number;
}

/**
 * The servers in `values` (each `HOST`, `HOST:PORT`, `[IPV6]` or `[IPV6]:PORT`, several in one
 * value separated by commas), `port` for those without one; the same server named twice counts
 * once. Throws an Error whose message says what is wrong with which entry.
 */
export function parseServers(values: readonly string[], port: number): Server[] {
  const servers: Server[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    for (const entry of value.split(',').map((e) => e.trim())) {
      if (entry === '') throw new Error(`invalid --server ${JSON.stringify(value)}: an empty entry`);
      const server = parseOne(entry, port);
      const key = hostPort(server.host, server.port);
      if (seen.has(key)) continue;
      seen.add(key);
      servers.push(server);
    }
  }
  return servers;
}

function parseOne(entry: string, defaultPort: number): Server {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  let host: string;
  let port: string | undefined;
  if (bracketed) [host, port] = [bracketed[1]!, bracketed[2]];
  else if (entry.indexOf(':') !== entry.lastIndexOf(':')) host = entry; // a bare IPv6 address: no port
  else [host, port] = entry.split(':') as [string, string | undefined];
  if (host.trim() === '') throw new Error(`invalid --server ${JSON.stringify(entry)}: no host`);
  if (port === undefined) return { host, port: defaultPort };
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) {
    throw new Error(`invalid --server ${JSON.stringify(entry)}: the port must be a whole number from 1 to 65535`);
  }
  return { host, port: n };
}

/** The servers in turn: the one in use, and the next when it cannot be reached. */
export class ServerRing {
  private at = 0;

  constructor(readonly servers: readonly Server[]) {
    if (servers.length === 0) throw new Error('no server to connect to');
  }

  get current(): Server {
    return this.servers[this.at]!;
  }

  /** More than one: worth saying which one is being tried. */
  get several(): boolean {
    return this.servers.length > 1;
  }

  /** The current server failed: go on with the next (the same one when there is only one). */
  next(): Server {
    this.at = (this.at + 1) % this.servers.length;
    return this.current;
  }

  /** "127.0.0.1:5556 (2 of 3)". */
  label(server = this.current): string {
    return `${hostPort(server.host, server.port)} (${this.servers.indexOf(server) + 1} of ${this.servers.length})`;
  }
}
