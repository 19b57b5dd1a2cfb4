/**
 * The server's metrics, in the Prometheus text format through prom-client, for GET /metrics.
 *
 * Nearly everything is read when Prometheus scrapes (a `collect` callback), from state the server
 * keeps anyway: the counters (counters.ts), the room, the private chats, the flood limits, the hash
 * queue. Serving users costs nothing more with metrics on than off, except the one histogram: the
 * time from a chat line's arrival to the last socket write of it, one observation per line, its
 * timestamps taken once per line and once per turn (Counters.line).
 *
 * Each server gets a registry of its own (the specs run many servers in one process), with
 * prom-client's default process metrics (CPU, memory, event-loop lag, GC), named as usual.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DropReason, LineKind, LoginResult } from './counters.js';
import type { PmOutcome } from './chat/private.js';
import type { ChatServer } from './server.js';

const DROP_REASONS: readonly DropReason[] = ['oversize', 'malformed', 'unknown-session', 'forged', 'replayed', 'stale'];

/** prom-client's default metrics whose cost grows with the number of connections. */
const O_N_DEFAULTS = ['nodejs_active_handles', 'nodejs_active_handles_total', 'nodejs_active_resources', 'nodejs_active_resources_total', 'process_open_fds'];

/** The relay's counts on a server without a cluster. */
const NO_RELAY = { sent: 0, received: 0 } as const;

/** Seconds; a line to a thousand readers takes milliseconds (README, Performance). */
export const WRITE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface Metrics {
  readonly registry: Registry;
  /** The Prometheus text and its content type. */
  scrape(): Promise<{ contentType: string; text: string }>;
  /** Stops timing lines (the counters keep counting). */
  close(): void;
}

export function createMetrics(server: ChatServer, options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const { counters, room } = server;
  const registers = [registry];

  /** A counter whose value is read at scrape time, by label. */
  const counted = <L extends string>(name: string, help: string, label: L | null, read: () => Record<string, number> | number) =>
    new Counter({
      name,
      help,
      labelNames: label ? [label] : [],
      registers,
      collect() {
        // prom-client's counters only go up by inc(): start from zero and add the current total.
        this.reset();
        const value = read();
        if (typeof value === 'number') this.inc(value);
        else for (const [k, v] of Object.entries(value)) this.inc({ [label!]: k } as Partial<Record<L, string>>, v);
      },
    });

  new Gauge({
    name: 'tinychat_connections',
    help: 'Open connections, by transport',
    labelNames: ['transport'],
    registers,
    collect() {
      this.reset();
      for (const [transport, n] of Object.entries(server.connectionsByTransport())) this.set({ transport }, n);
    },
  });
  counted('tinychat_connections_accepted_total', 'Connections accepted since the start', null, () => counters.connections);
  new Gauge({
    name: 'tinychat_users_online',
    help: 'Users online (sessions, with or without a connection)',
    registers,
    collect() {
      this.set(room.count);
    },
  });
  counted('tinychat_messages_total', 'Chat lines accepted, by kind: group, dm (one-shot private), private (in a private session), replay (from history)', 'kind', () => ({ ...counters.lines }) satisfies Record<LineKind, number>);
  counted('tinychat_deliveries_total', 'Chat lines handed to users, one per recipient (replays included; notices and errors are not chat)', null, () => counters.deliveries);
  counted('tinychat_errors_total', 'Refusals (error frames) sent to clients, by code', 'code', () => Object.fromEntries(counters.errors));
  counted('tinychat_logins_total', 'Logins by result', 'result', () => ({ ...counters.logins }) satisfies Record<LoginResult, number>);
  counted('tinychat_heartbeats_total', 'Heartbeat datagrams by result: accepted, or why dropped', 'result', () => {
    const byResult: Record<string, number> = { accepted: counters.datagramsAccepted };
    for (const r of DROP_REASONS) byResult[r] = counters.datagramsDropped[r] ?? 0;
    return byResult;
  });
  counted('tinychat_private_requests_total', 'Private-chat requests by outcome', 'outcome', () => ({ ...room.privates.outcomes }) satisfies Record<PmOutcome, number>);
  counted('tinychat_file_transfers_total', 'File transfers by outcome: each offered, then done, refused, cancelled, expired or failed', 'outcome', () => ({
    ...server.files.outcomes,
  }));
  counted('tinychat_file_bytes_relayed_total', 'File bytes relayed between users (never kept)', null, () => server.files.relayed);
  counted('tinychat_file_relay_bytes_total', 'File bytes sent to and received from other servers of a cluster (Redis pub/sub, never kept)', 'direction', () => server.cluster?.relay.bytes ?? NO_RELAY);
  counted('tinychat_mutes_total', 'Users muted, for flooding or by the operator', null, () => room.limits.mutes);
  new Gauge({
    name: 'tinychat_hash_queue_depth',
    help: 'Password hashes running and waiting',
    registers,
    collect() {
      this.set(server.hashDepth);
    },
  });
  counted('tinychat_slow_readers_dropped_total', 'Connections dropped for leaving too much output unread', null, () => counters.slowReaders);
  const writes = new Histogram({
    name: 'tinychat_line_write_seconds',
    help: "Time from a chat line's arrival to the last socket write of it",
    buckets: WRITE_BUCKETS,
    registers,
  });
  counters.timing = (seconds) => writes.observe(seconds);
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // These walk every socket (or every open descriptor) at each scrape, in the event loop: 10 ms
    // a scrape at 1,000 connections, 100 ms at 10,000, a stall the chat would feel. The
    // connections are counted for free by tinychat_connections.
    for (const name of O_N_DEFAULTS) registry.removeSingleMetric(name);
  }

  return {
    registry,
    scrape: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
    close: () => {
      counters.timing = null;
    },
  };
}
