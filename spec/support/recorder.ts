/**
 * The chat state's outbox, recorded: the room under test speaks to this instead of sockets, and a
 * spec reads what each user would have received, in order. It keeps the real outbox's promise
 * for users without a connection (what is sent to them waits for the next attach), so a spec can
 * check a resume's backlog too.
 */
import { ChatError } from '../../common/errors.js';
import type { ServerMessage } from '../../common/protocol.js';
import type { Endpoint, Outbox } from '../../server/chat/outbox.js';

/** A stand-in for a connection: only what the room logs. */
export class FakeEndpoint implements Endpoint {
  readonly address = '127.0.0.1';
  constructor(readonly label: string) {}
}

interface Mailbox {
  at: FakeEndpoint | null;
  /** Everything the user received, across connections, in order. */
  received: ServerMessage[];
  /** Sent while disconnected: delivered at the next attach. */
  waiting: ServerMessage[];
}

export class RecordingOutbox implements Outbox<FakeEndpoint> {
  private readonly boxes = new Map<string, Mailbox>();
  /** Mailboxes of users whose session ended, still readable. */
  private readonly ended = new Map<string, Mailbox>();
  /** Every call, in order, for specs about the outbox calls themselves. */
  readonly calls: string[] = [];

  attach(user: string, at: FakeEndpoint, first: ServerMessage): void {
    this.calls.push(`attach ${user} at ${at.label}`);
    const box = this.box(user);
    box.at = at;
    box.received.push(first, ...box.waiting.splice(0));
  }

  toUser(user: string, msg: ServerMessage): void {
    this.deliver(user, msg);
  }

  toUsers(users: readonly string[], msg: ServerMessage): void {
    for (const user of users) this.deliver(user, msg);
  }

  toRoom(msg: ServerMessage, except?: string): void {
    this.calls.push(`toRoom ${msg.type}${except ? ` except ${except}` : ''}`);
    for (const user of this.boxes.keys()) if (user !== except) this.deliver(user, msg);
  }

  end(user: string, bye?: ServerMessage<'bye'>): void {
    this.calls.push(`end ${user}${bye ? ` (${bye.reason})` : ''}`);
    const box = this.boxes.get(user);
    if (!box) return;
    if (box.at && bye) box.received.push(bye);
    this.lose(user);
    this.boxes.delete(user);
    this.ended.set(user, box);
  }

  /**
   * Whether drained() waits for release() (a spec pacing a bulk reply by hand); by default a
   * connected user's transport takes everything at once.
   */
  holdDrains = false;
  private readonly drains: { user: string; then: (open: boolean) => void }[] = [];

  drained(user: string, then: (open: boolean) => void): void {
    const box = this.boxes.get(user);
    if (!box) return then(true);
    if (!box.at) return then(false);
    if (this.holdDrains) this.drains.push({ user, then });
    else then(true);
  }

  /** Lets the drains held so far through: `open` false as if the connection had been lost. */
  release(open = true): void {
    for (const { then } of this.drains.splice(0)) then(open);
  }

  /** `user`'s connection is gone: what waited for it to drain hears so. */
  private lose(user: string): void {
    const lost = this.drains.filter((d) => d.user === user);
    this.drains.splice(0, this.drains.length, ...this.drains.filter((d) => d.user !== user));
    for (const { then } of lost) then(false);
  }

  /** How many drained() calls wait for release(). */
  get held(): number {
    return this.drains.length;
  }

  /** Simulates the transport losing `user`'s connection: what follows waits for an attach. */
  drop(user: string): void {
    this.box(user).at = null;
    this.lose(user);
  }

  /** What `user` has received so far (also after their session ended). */
  of(user: string): ServerMessage[] {
    return (this.boxes.get(user) ?? this.ended.get(user))?.received ?? [];
  }

  /** The notices `user` received, as "event: message". */
  notices(user: string): string[] {
    return this.of(user).flatMap((m) => (m.type === 'notice' ? [`${m.event}: ${m.message}`] : []));
  }

  /** The chat lines `user` received, as "from: text" (private ones as "from -> to: text"). */
  lines(user: string): string[] {
    return this.of(user).flatMap((m) => {
      if (m.type !== 'msg') return [];
      return [m.scope === 'private' ? `${m.from} -> ${m.to}: ${m.text}` : `${m.from}: ${m.text}`];
    });
  }

  private box(user: string): Mailbox {
    let box = this.boxes.get(user);
    if (!box) {
      box = { at: null, received: [], waiting: [] };
      this.boxes.set(user, box);
      this.ended.delete(user);
    }
    return box;
  }

  private deliver(user: string, msg: ServerMessage): void {
    const box = this.boxes.get(user);
    if (!box) return;
    (box.at ? box.received : box.waiting).push(msg);
  }
}

/** What a chat rule said when it refused `fn` ("CODE: message"); fails when it did not refuse. */
export function refusal(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ChatError) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('not refused');
}
