/**
 * A connection speaking tinychat's own frames (common/codec.ts): bytes to frames, frames checked
 * against the protocol table, a message to the dispatcher. Everything else a connection does is
 * BaseConnection's (connection.ts), shared with IRC (irc/connection.ts).
 */
import type { Duplex } from 'node:stream';
import { FrameDecoder, validate, type Decoded } from '../../common/codec.js';
import { ChatError } from '../../common/errors.js';
import { CLIENT_MESSAGES, type ClientMessage } from '../../common/protocol.js';
import { BaseConnection, type ConnectionEvents, type ConnectionOptions } from './connection.js';
import { NATIVE, type Peer, type Wire } from './wire.js';

/** A connection speaking tinychat's own frames (common/codec.ts). */
export class Connection extends BaseConnection {
  readonly wire: Wire = NATIVE;
  readonly peer: Peer = null;
  private readonly decoder: FrameDecoder;

  constructor(stream: Duplex, address: string, port: number, options: ConnectionOptions, events: ConnectionEvents) {
    super(stream, address, port, options, events);
    this.decoder = new FrameDecoder(options.maxBody);
  }

  protected take(chunk: Buffer): void {
    this.decoder.feed(chunk);
  }

  protected handleNext(): boolean {
    const next = this.decoder.next();
    if (next === null) return false;
    this.handle(next);
    return true;
  }

  private handle({ frame, error }: Decoded): void {
    if (error) {
      this.events.invalid(this, error);
      if (error.fatal) return this.close(`protocol error: ${error.message}`);
      return this.strike();
    }
    const msg = validate<ClientMessage>(frame, CLIENT_MESSAGES);
    if (msg instanceof ChatError) {
      this.events.invalid(this, msg);
      return this.strike();
    }
    if (msg.type !== 'login' && msg.type !== 'resume') this.strike();
    if (!this.closed) void this.events.message(this, msg);
  }
}
