/**
 * What the bench's parent and its load-generator workers say to each other over the IPC channel
 * of child_process.fork. Every command gets exactly one reply of the matching kind, so the parent
 * can await them as plain request/response pairs; `progress` is the only unsolicited message.
 */
import type { HistogramData } from './stats.js';

/**
 * `chat` clients are counted and may send; `storm` clients only log in (storm scenario);
 * `register` clients log in for the first time, registering (connect scenario).
 */
export type Role = 'chat' | 'storm' | 'register';

export interface ClientSpec {
  /** Global client index (also its position in the users file). */
  index: number;
  name: string;
  password: string;
  role: Role;
  /** Global sender id, for the clients that send. */
  sender?: number;
}

export interface WorkerSetup {
  host: string;
  port: number;
  /** Several servers (a cluster): client i logs in to ports[i % ports.length] instead of `port`. */
  ports?: number[];
  clients: ClientSpec[];
  /** Number of senders in the whole run (sender ids are 0..senders-1). */
  senders: number;
  /** Unanswered messages a sender may have in flight when sending as fast as possible. */
  window: number;
  /** Milliseconds between heartbeats; 0 sends none. */
  heartbeatMs: number;
  /** Connections a worker opens and logs in at once; 0 means all at once. */
  concurrency: number;
  /** Seconds a client waits for login_ok before counting the login as failed. */
  loginTimeout: number;
  /** The target speaks IRC (see irc-client.ts), not our protocol. */
  irc: boolean;
  /**
   * IRC to tinychat's own listener: log in with the account's password (PASS), and, for the
   * closed loop, ask for echo-message so a sender gets its own lines back.
   */
  ircAccount?: { echo: boolean };
}

export type Command =
  | { cmd: 'setup'; setup: WorkerSetup }
  | { cmd: 'login'; role: Role }
  /** Start sending: `messages` per sender (-1: until `stop`), `rate` in total (0: closed loop). */
  | { cmd: 'chat'; messages: number; rate: number; startNs: number }
  | { cmd: 'stop' }
  /**
   * All senders are done and sent `total` messages between them: wait until they have arrived
   * (or stopped arriving for `idleMs`), and say how many deliveries this worker expected.
   */
  | { cmd: 'drain'; total: number; idleMs: number }
  | { cmd: 'stats' }
  /** CPU so far; `phase` also starts the event-loop delay figures afresh for a new phase. */
  | { cmd: 'cpu'; phase?: boolean }
  | { cmd: 'quit' };

export interface LoginResult {
  role: Role;
  /** Milliseconds from connect to login_ok, for each client that logged in. */
  times: number[];
  /** Why the others did not, counted by reason (error code, "closed", "timeout", ...). */
  failures: Record<string, number>;
}

export interface WorkerStats {
  /** Chat messages received by this worker's chat clients (each delivery counted once). */
  received: number;
  outOfOrder: number;
  latencyUs: HistogramData;
  /** hrtime (ns) of the first send and the last receipt here; 0 when none. */
  firstSendNs: number;
  lastRecvNs: number;
  /** Worst lateness of a paced send against its schedule, in ms (the load side falling behind). */
  sendLagMaxMs: number;
  heartbeats: number;
  heartbeatLateMaxMs: number;
  /** This worker's event-loop delay in the last phase (a saturated load generator shows here). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Connections the server closed, and error frames received, by reason or code. */
  closed: Record<string, number>;
  errors: Record<string, number>;
  /** Notices received, by event (an `offline` in the idle scenario means heartbeats failed). */
  notices: Record<string, number>;
  /** Bytes received by all of this worker's clients. */
  bytesIn: number;
  /** Socket reads by all of this worker's clients. */
  reads: number;
}

/** CPU used by the worker process so far, in microseconds (process.cpuUsage). */
export interface Cpu {
  user: number;
  system: number;
}

export type Reply =
  | { kind: 'ready'; cpu: Cpu }
  | { kind: 'logged-in'; result: LoginResult; cpu: Cpu }
  | { kind: 'sent'; sent: number; cpu: Cpu }
  /** `expected`: deliveries this worker's chat clients should have had (what is missing is lost). */
  | { kind: 'drained'; expected: number; cpu: Cpu }
  | { kind: 'stats'; stats: WorkerStats; cpu: Cpu }
  | { kind: 'cpu'; cpu: Cpu }
  | { kind: 'bye'; cpu: Cpu }
  | { kind: 'fatal'; message: string; cpu: Cpu };

/** Unsolicited: how many clients of the current login phase are done (logged in or failed). */
export interface Progress {
  kind: 'progress';
  done: number;
}
