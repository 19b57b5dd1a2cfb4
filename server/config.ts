/**
 * The server's whole configuration, parsed once at the edge (command-line.ts) and passed down. Nothing
 * below it reads process.argv or process.env.
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_MAX_BODY } from '../common/codec.js';

export interface ServerConfig {
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** UDP port for heartbeats; undefined means "the same number as port", 0 a free one. */
  udpPort?: number;
  /** Path of the users file (JSON, via lowdb). */
  db: string;
  /** Path of the log file; empty to log to the console only. */
  log: string;
  /** Log levels: `default` for every category not named (see logger.ts for the categories). */
  logLevels: LogLevels;
  /** How the log file is written: text lines, or one JSON object a line. The console is always text. */
  logFormat: LogFormat;
  /** Rotate the log file when it would pass this many bytes; 0: never (rotation by SIGHUP only). */
  logMaxSize: number;
  /** Rotated log files kept beside it (`server.log.1` the newest). */
  logBackups: number;
  /** Port of the HTTP endpoint for /metrics, /healthz and /readyz; undefined: no endpoint. */
  metricsPort?: number;
  metricsHost: string;
  /** Text file shown to every user at login; undefined: none. */
  motd?: string;
  /** bcrypt cost factor for new accounts. */
  bcryptCost: number;
  allowGuests: boolean;
  /** Largest chat text, in bytes, that a frame may carry. */
  maxBody: number;
  /** Seconds before an unanswered private-chat request expires. */
  pmTimeout: number;
  /** Private-chat requests that may wait for one user's answer; more are refused. */
  maxPmRequests: number;
  /** Rate limit: more than rateCount messages within rateWindow seconds mutes for muteSeconds. */
  rateCount: number;
  rateWindow: number;
  muteSeconds: number;
  /** Seconds of heartbeat silence before a user is marked offline. */
  heartbeatTimeout: number;
  /** Seconds a connection may take to log in. */
  loginTimeout: number;
  /**
   * Up to this many users online, joins and leaves are announced one by one with the online
   * list; above it they are summarised once a second without the list.
   */
  announceLimit: number;
  /** Connection limits, in all and per remote address. */
  maxConnections: number;
  maxPerAddress: number;
  /** Bytes of unsent output a slow reader may have before it is disconnected. */
  maxOutput: number;
  /** Bytes kept in all for users whose connection dropped, until they resume. */
  maxBacklog: number;
  /** Shortest password accepted for new accounts, in characters. */
  minPassword: number;
  /**
   * Failed logins per address within a minute before further attempts wait (an account from
   * addresses it never logged in from: 4 times as many in 10 minutes).
   */
  maxFailures: number;
  /** New accounts per address within an hour. */
  maxRegistrations: number;
  /** Worker threads hashing passwords, and how many hash jobs may wait for one. */
  hashThreads: number;
  hashQueue: number;
  /** PEM files; both set means the TCP listener speaks TLS. */
  tlsCert?: string;
  tlsKey?: string;
  /** IRC listener port (plaintext); undefined: no IRC. 0 picks a free one. */
  ircPort?: number;
  /** IRC over TLS (with tlsCert and tlsKey); undefined: none. */
  ircTlsPort?: number;
  /** The room as IRC clients see it: its channel name. */
  ircChannel: string;
  /** Where history and offline messages are kept (created on first use). */
  dataDir: string;
  /** Days of group lines kept; 0 turns history off. */
  historyDays: number;
  /** Group lines kept at most. */
  historyMax: number;
  /** Group lines replayed at login. */
  historyOnJoin: number;
  /** Private messages that may wait for one offline account, and for how many days. */
  offlineMax: number;
  offlineDays: number;
  /** Join a cluster on this Redis (redis://host:port); none: one server on its own files. */
  redis?: string;
  /** This server's name in the cluster (default host:port). */
  nodeId?: string;
  /** Accept a Redis that does not persist (tests, demos). */
  redisEphemeral: boolean;
  /** A cluster's lease length in ms (specs shorten it; 5,000 otherwise). */
  clusterLeaseMs?: number;
  /** Events between a cluster's checkpoints (specs shorten it; 5,000 otherwise). */
  clusterCheckpointEvents?: number;
  /** The largest file relayed, in bytes (announced in `hello`); 0: no file transfers. */
  maxFile: number;
  /** File bytes a second one user may send, apart from the chat's flood limit. */
  fileRate: number;
}

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';
export type LogLevels = { default: LogLevel } & Partial<Record<string, LogLevel>>;

export const DEFAULTS: ServerConfig = {
  host: '127.0.0.1',
  port: 5555,
  db: './users.json',
  log: './server.log',
  logLevels: { default: 'info' },
  logFormat: 'text',
  // Rotated by default: a log that only grows fills the disk (README, Operating it).
  logMaxSize: 50 * 1024 * 1024,
  logBackups: 5,
  metricsHost: '127.0.0.1',
  bcryptCost: 10,
  allowGuests: false,
  maxBody: DEFAULT_MAX_BODY,
  pmTimeout: 60,
  maxPmRequests: 20,
  rateCount: 8,
  rateWindow: 5,
  muteSeconds: 10,
  heartbeatTimeout: 20,
  loginTimeout: 30,
  announceLimit: 100,
  maxConnections: 20_000,
  maxPerAddress: 200,
  maxOutput: 1024 * 1024,
  maxBacklog: 64 * 1024 * 1024,
  minPassword: 1,
  maxFailures: 5,
  maxRegistrations: 20,
  // One core stays with the event loop, so chat keeps its latency during a login storm
  // (measured on 2 cores: chat p99 72 ms with 2 hash threads, 43 ms with 1).
  hashThreads: Math.max(1, availableParallelism() - 1),
  hashQueue: 2_000,
  dataDir: './data',
  historyDays: 7,
  historyMax: 10_000,
  historyOnJoin: 20,
  offlineMax: 100,
  offlineDays: 7,
  maxFile: 10 * 1024 * 1024,
  // 10 MiB in 2.5 s; measured on 2 cores, chat p99 between others stays in tens of ms meanwhile.
  fileRate: 4 * 1024 * 1024,
  ircChannel: '#tinychat',
  redisEphemeral: false,
};

/** The most one file transfer may have in flight, whatever --max-output is. */
const MAX_FILE_WINDOW = 1024 * 1024;

/**
 * Bytes of one file transfer that may be in flight (relayed, not yet acknowledged; announced in
 * `hello`): a quarter of --max-output, so a receiver whose chunks wait unread is never dropped as
 * a slow reader for them, and chat lines have the rest.
 */
export function fileWindow(maxOutput: number): number {
  return Math.max(1024, Math.min(MAX_FILE_WINDOW, Math.floor(maxOutput / 4)));
}

/** Fills in defaults, so tests can name only what they change. */
export function makeConfig(partial: Partial<ServerConfig> = {}): ServerConfig {
  return { ...DEFAULTS, ...partial };
}
