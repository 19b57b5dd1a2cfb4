/**
 * A user connected to another server of the cluster, as this server's room holds them: an
 * endpoint with nothing to write to. Delivery sends nothing to it (that user's own server delivers
 * what the same log tells it), and the dispatcher never sees it as a caller of its own.
 *
 * It has the shape of a connection where the chat looks (label, address, login state) so the
 * room can keep local and remote users in one registry.
 */
import type { Wire } from './wire.js';

export class Elsewhere {
  readonly port = 0;
  readonly state = 'ready' as const;
  readonly closed = false;

  constructor(
    /** The folded name of the user. */
    readonly user: string,
    /** Where the user is from, for limits and the log. */
    readonly address: string,
    /** The server (node id) they are connected to. */
    readonly node: string,
    /** Their connection's wire format (its name; see Wire), for what is kept for a resume. */
    readonly wire: Wire['name'],
  ) {}

  get label(): string {
    return `${this.address} via ${this.node}`;
  }

  beginLogin(): boolean {
    return false;
  }

  endLogin(): void {}

  close(): void {}
}
