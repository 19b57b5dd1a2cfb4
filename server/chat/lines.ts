/**
 * Chat lines: the id each gets, where each goes (everyone, the private partner, one user by name,
 * an offline account's mailbox), and what its sender is told when it cannot arrive at once: the
 * recipient is away, has lost their connection, or never came back.
 */
import type { Clock } from '../../common/clock.js';
import { chatError } from '../../common/errors.js';
import { foldName } from '../../common/names.js';
import type { NoticeEvent } from '../../common/protocol.js';
import { quoted, type Logger } from '../logger.js';
import type { Away } from './away.js';
import { NOTICES } from './notices.js';
import type { Endpoint, Outbox } from './outbox.js';
import type { Recall } from './recall.js';
import type { Session } from './session.js';
import { Undelivered } from './undelivered.js';

/** What lines need of the room: who is online, who is whose private partner, and a way to tell them. */
export interface Roster<E extends Endpoint> {
  find(name: string): Session<E> | undefined;
  byKey(key: string): Session<E> | undefined;
  partnerOf(session: Session<E>): Session<E> | undefined;
  notice(to: Session<E>, event: NoticeEvent, text: string, user?: string): void;
}

export class Lines<E extends Endpoint> {
  /** Private lines waiting for recipients whose connection dropped. */
  readonly undelivered = new Undelivered();
  /** The id of the last chat line: every `msg` gets the next one. */
  private last = 0;

  constructor(
    private readonly room: Roster<E>,
    private readonly away: Away<E>,
    /** History and the messages kept for offline accounts (replaced when the server opens its own). */
    private readonly recall: () => Recall,
    private readonly out: Outbox<E>,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Seconds of silence that make a user offline, told to whoever writes to someone disconnected. */
    private readonly heartbeatTimeout: number,
  ) {}

  get lastId(): number {
    return this.last;
  }

  /** Ids go on after `id` (the last one kept, or a cluster's). */
  after(id: number): void {
    this.last = Math.max(this.last, id);
  }

  /**
   * A line from `me`: to the private partner while in a session (unless `group`), else to
   * everyone. `sealed`: a line of an encrypted private session (the handler checked there is
   * one), relayed as it came; the server keeps no trace of it, not even for pm_undelivered.
   */
  say(me: Session<E>, text: string, group = false, action = false, sealed = false): void {
    const partner = group ? undefined : this.room.partnerOf(me);
    const ts = this.clock.now();
    const act = action ? { action: true } : {};
    if (partner) {
      const seal = sealed ? { sealed } : {};
      const line = { type: 'msg', id: ++this.last, from: me.name, ts, scope: 'private', to: partner.name, text, ...act, ...seal } as const;
      this.out.toUsers([partner.key, me.key], line);
      this.noteIfAway(me, partner, sealed ? NOTICES.sealedLine() : text);
      this.log.info(`Private line from ${me.name} to ${partner.name} (${sealed ? 'end-to-end encrypted' : `${text.length} chars`})`);
      return;
    }
    const id = ++this.last;
    this.out.toRoom({ type: 'msg', id, from: me.name, ts, scope: 'group', text, ...act });
    this.recall().record({ id, ts, from: me.name, text, ...act });
    this.log.info(`Group message from ${me.name}: ${quoted(text)}`);
  }

  /** One private message from `me` to `to` (`/msg bob text`, `@bob text`), outside any session. */
  dm(me: Session<E>, to: string, text: string, action = false): void {
    const target = this.room.find(to);
    if (!target) throw chatError('NO_SUCH_USER', to);
    const act = action ? { action: true } : {};
    const line = { type: 'msg', id: ++this.last, from: me.name, ts: this.clock.now(), scope: 'private', to: target.name, text, ...act } as const;
    this.out.toUsers(target === me ? [me.key] : [target.key, me.key], line);
    this.noteIfAway(me, target, text);
    this.away.tell(me, target);
    this.log.info(`Private message from ${me.name} to ${target.name} (${text.length} chars)`);
  }

  /**
   * A private message for an account that is not online (`toName` as the account spells it): it
   * is kept for them, and the sender told once it is stored for good.
   */
  async leave(me: Session<E>, toName: string, text: string, action = false): Promise<void> {
    const to = foldName(toName);
    const message = { id: ++this.last, ts: this.clock.now(), from: me.name, to: toName, text, ...(action ? { action: true } : {}) };
    await this.recall().keep(me.key, me.name, to, message);
    // Logged in while it was being stored: hand it over now rather than at the next login. Not
    // to a session without a connection: its resume delivers what waits, and a batch put in its
    // backlog meanwhile would come twice, once from the backlog and once from that delivery.
    const now = this.room.byKey(to);
    if (now?.state === 'attached') this.recall().deliverWaiting(to, now.name, now.features.has('receipts'));
  }

  /** A private line to someone whose connection dropped waits for them; the sender is told, once. */
  private noteIfAway(me: Session<E>, to: Session<E>, text: string): void {
    if (to.state !== 'detached') return;
    if (this.undelivered.note(to.key, me.key, text)) {
      this.room.notice(me, 'pm_disconnected', NOTICES.disconnected(to.name, this.heartbeatTimeout), to.name);
    }
  }

  /** `gone` never came back: each sender still here learns which lines did not reach it. */
  tellUndelivered(gone: Session<E>): void {
    for (const [sender, { lines, more }] of this.undelivered.lost(gone.key)) {
      const s = this.room.byKey(sender);
      if (s) this.room.notice(s, 'pm_undelivered', NOTICES.undelivered(gone.name, lines, more), gone.name);
    }
  }
}
