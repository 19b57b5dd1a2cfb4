import type { Server } from './servers.js';

/**
 * The client's whole configuration, parsed once at the edge (main.ts) and passed down. Nothing
 * below main.ts reads process.argv or process.env.
 */
export interface ClientConfig {
  /** Where to connect: one server, or several of a cluster, tried in this order (at least one). */
  servers: Server[];
  /** Username; asked for when absent. */
  user?: string;
  /** Password from --password or CHAT_PASSWORD; asked for when absent. */
  password?: string;
  /** Overrides the UDP port the server names in login_ok (NAT, port forwarding). */
  udpPort?: number;
  /** Seconds between heartbeats. */
  heartbeatInterval: number;
  /** Speak TLS; `ca` (PEM) is trusted besides the system's roots, for self-signed servers. */
  tls: boolean;
  ca?: Buffer;
  /** Colour the output (only on a terminal, and never with NO_COLOR). */
  color: boolean;
  /** Ring the terminal bell on a mention, a private message or a private-chat request. */
  bell: boolean;
  /** The password is the first line of stdin (--password-stdin); main.ts reads it. */
  passwordStdin: boolean;
  /** Where received files are saved (--downloads). */
  downloads: string;
  /** The identity key file for encrypted private chats (--identity, or the config folder's). */
  identityFile?: string;
}

export const CLIENT_DEFAULTS = {
  host: '127.0.0.1',
  port: 5555,
  heartbeatInterval: 5,
  downloads: './downloads',
} as const;

/**
 * Fills in defaults, so tests can name only what they change; `host` and `port` name the one
 * server (the defaults' when `servers` is not given).
 */
export function makeClientConfig(partial: Partial<ClientConfig> & Partial<Server> = {}): ClientConfig {
  const { host = CLIENT_DEFAULTS.host, port = CLIENT_DEFAULTS.port, ...rest } = partial;
  const { heartbeatInterval, downloads } = CLIENT_DEFAULTS;
  return { servers: [{ host, port }], heartbeatInterval, downloads, tls: false, color: false, bell: true, passwordStdin: false, ...rest };
}
