/**
 * IRC as a listener's Protocol (see ../listener.ts): IRC connections, all rendered by one IrcWire,
 * so a group line is encoded once for every IRC user, as it is once for every native one.
 */
import type { Protocol } from '../listener.js';
import { IrcConnection, ircLabel, type IrcOptions } from './connection.js';
import { IrcWire } from './wire.js';

export function ircProtocol(options: IrcOptions): Protocol<IrcConnection> {
  const wire = new IrcWire(options.channel);
  return {
    connect: (stream, address, port, connOptions, events) => new IrcConnection(stream, address, port, connOptions, events, wire, options),
    label: ircLabel,
    // IRC servers speak when spoken to: the client registers first.
    hello: () => null,
  };
}
