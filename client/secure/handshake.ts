/**
 * Asking and answering (the key exchange of a request): our request with its half of the keys,
 * the invitations waiting for our answer with their offers checked, the keys made when we say
 * yes, and the start of a session read from either side. The session itself, once started,
 * is secure-chats.ts's.
 */
import { foldName } from '../../common/names.js';
import type { ClientMessage, ServerMessage } from '../../common/protocol.js';
import type { DisplayLine } from '../format.js';
import { safeLine } from '../format.js';
import { makeBundle, readBundle, sessionKeys, type Bundle, type Pending } from './bundle.js';
import { Channel } from './channel.js';
import { changedWarning, type SecureContext, type SecureOut } from './context.js';

type Notice = ServerMessage<'notice'>;

/** An invitation waiting for our answer. */
interface Invite {
  readonly name: string;
  /** Its offer, checked; null: the asker sent no key (an unencrypted chat). */
  readonly offer: Bundle | null;
  /** The pinned key differs: `/trust NAME` before it can be accepted. */
  changed: boolean;
}

/**
 * How a session that started begins: with these keys (none: not encrypted, as asked), or, for
 * our encrypted request answered without a usable key, not at all (why).
 */
/** A session's keys (null: a plain chat), or why it cannot be encrypted: `ours` when this client is the reason, not the answer. */
export type Start = { channel: Channel | null; identity: Buffer | null } | { broken: string; ours?: true };

/** The server's refusals of our request: it is over. */
const ASK_ERRORS = new Set(['NO_SUCH_USER', 'PM_SELF', 'PM_BUSY', 'PM_YOU_BUSY', 'PM_PENDING', 'PM_TOO_MANY', 'PM_OUTGOING', 'E2E_UNSUPPORTED', 'E2E_BAD_KEY', 'MUTED']);

export class Handshake {
  /** `sent`: the server took it (pm_sent): no refusal of it can come any more. */
  private asking: { to: string; pending: Pending | null; sent?: true } | null = null;
  /** Answered yes, waiting for the start: the keys made for it (none: unencrypted). */
  private accepting: { from: string; channel: Channel | null; identity: Buffer | null } | null = null;
  private readonly invites = new Map<string, Invite>();

  constructor(private readonly ctx: SecureContext) {}

  /** `@PM NAME` (encrypted) or `/plain NAME`. */
  request(to: string, plain: boolean): ClientMessage<'pm_request'> {
    if (plain) {
      this.asking = { to, pending: null };
      return { type: 'pm_request', to, plain: true };
    }
    const { key, pending } = makeBundle(this.ctx.identity, 'offer', this.ctx.me(), to);
    this.asking = { to, pending };
    return { type: 'pm_request', to, key };
  }

  /** Y/N or `/accept NAME`, `/reject NAME` for the invitation from `from`: the answer, or why not. */
  answer(from: string, accept: boolean): { send: ClientMessage<'pm_answer'> } | { lines: DisplayLine[] } {
    const invite = this.invites.get(foldName(from));
    if (!accept || !invite) return { send: { type: 'pm_answer', from, accept } };
    if (invite.changed) {
      const n = safeLine(invite.name);
      return { lines: [this.ctx.fmt.error(`${n}'s identity key has changed: compare safety numbers with ${n} another way (/verify), then /trust ${n} to accept the new key (or /reject ${n})`)] };
    }
    if (!invite.offer) {
      this.accepting = { from: invite.name, channel: null, identity: null };
      return { send: { type: 'pm_answer', from: invite.name, accept: true } };
    }
    const offer = invite.offer;
    const me = this.ctx.me();
    const { key, pending } = makeBundle(this.ctx.identity, 'answer', me, invite.name, { rid: offer.rid, ephemeral: offer.ephemeral });
    const keys = sessionKeys(pending, offer, invite.name, me, false);
    this.accepting = { from: invite.name, channel: new Channel(keys), identity: offer.identity };
    return { send: { type: 'pm_answer', from: invite.name, accept: true, key } };
  }

  /** A login that is not a resume: no request or invitation of before is still open. */
  forget(): void {
    this.invites.clear();
    this.asking = null;
    this.accepting = null;
  }

  /** An invitation: our own words for it, since whether it is encrypted is for us to say, not the server. */
  invited(m: Notice, from: string): SecureOut {
    const { fmt } = this.ctx;
    const n = safeLine(from);
    if (m.key === undefined) {
      this.invites.set(foldName(from), { name: from, offer: null, changed: false });
      // An invitation does not say why it has no key (a /plain request from a client that could
      // encrypt looks the same as one from a client that cannot), so neither is claimed.
      const message = `${from} wants a private chat with you, NOT ENCRYPTED: no key came with the request (${from} asked for a plain chat, or ${from}'s client cannot encrypt), so the server can read it (Y/N)?`;
      return { lines: [], pass: { ...m, message } };
    }
    const offer = readBundle(m.key, ['offer'], from, this.ctx.me());
    if ('problem' in offer) {
      // Refused for the user: an offer that does not check out cannot be answered safely.
      return { lines: [fmt.error(`${n} asked for an encrypted private chat, but the key does not check out (${offer.problem}); refuse it with /reject ${n}`)], pass: null };
    }
    const changed = this.ctx.known.status(from, offer.identity) === 'changed';
    this.invites.set(foldName(from), { name: from, offer, changed });
    const message = `${from} wants an end-to-end encrypted private chat with you (Y/N)?`;
    const lines = changed ? changedWarning(fmt, from) : [];
    return { lines, pass: { ...m, message } };
  }

  /**
   * The session with `partner` started: on the asker's side with the answer's key, on ours with
   * the keys we made. null: not a request of ours nor one we accepted.
   */
  started(partner: string, key: string | undefined): Start | null {
    const name = foldName(partner);
    // An invitation answered by a typed Y that did not come through answer() (the server takes a
    // bare "y" as the answer, as seed 002's clients typed it): a plain one is the plain chat both
    // asked for; an encrypted one has no keys made for it.
    const invite = this.invites.get(name);
    this.invites.clear(); // every other request is void now (server/chat/consent.ts)
    const accepted = this.accepting && foldName(this.accepting.from) === name ? this.accepting : null;
    const asked = this.asking && foldName(this.asking.to) === name ? this.asking : null;
    this.accepting = null;
    this.asking = null;
    if (accepted) return { channel: accepted.channel, identity: accepted.identity };
    if (asked && !asked.pending) return { channel: null, identity: null };
    if (!asked && invite) return invite.offer ? { broken: 'your yes went out as a typed line, so no keys were made for it', ours: true } : { channel: null, identity: null };
    if (!asked) return null;
    if (key === undefined) return { broken: 'its answer carried no key' };
    const me = this.ctx.me();
    const answer = readBundle(key, ['answer'], partner, me, asked.pending!.eph.publicRaw);
    if ('problem' in answer || !answer.rid.equals(asked.pending!.rid)) {
      return { broken: 'problem' in answer ? answer.problem : 'it answers another request' };
    }
    return { channel: new Channel(sessionKeys(asked.pending!, answer, me, partner, true)), identity: answer.identity };
  }

  /** pm_refused, pm_expired, pm_cancelled: the request between us and `user` is over. */
  over(user: string): void {
    this.invites.delete(foldName(user));
    if (this.asking && foldName(this.asking.to) === foldName(user)) this.asking = null;
  }

  /** pm_sent, in our words when the request went unencrypted. */
  sent(m: Notice): Notice {
    // The request was answered at once, with this: an error naming them now refuses another line (a /msg).
    if (m.user && this.asking && foldName(m.user) === foldName(this.asking.to)) this.asking.sent = true;
    return m.user && this.asking && !this.asking.pending ? { ...m, message: `${m.message} (an unencrypted private chat, as you asked)` } : m;
  }

  /**
   * An error from the server: a request or an answer it refused is over. One that names a user
   * (`user`) is about them: a /msg to a name that is no account leaves our request to another open.
   */
  refused(code: string, user?: string, re?: string): void {
    // `re` (protocol 2): the type of what it refuses, exactly. Without it: naming nobody, about
    // something else, from a server that names every refusal of a request. Taken (pm_sent): no
    // refusal of it can come any more, what names them is about a /msg to them.
    const toThem = user !== undefined && this.asking !== null && foldName(user) === foldName(this.asking.to);
    const ours = re !== undefined ? re === 'pm_request' && toThem : user === undefined ? !this.ctx.named() : toThem;
    if (this.asking && !this.asking.sent && ASK_ERRORS.has(code) && ours) this.asking = null;
    if (code === 'PM_NO_REQUEST') this.accepting = null;
  }

  /** Invitations held for `/trust` (their key changed): who, and the key their offer carries. */
  changed(): { name: string; identity: Buffer }[] {
    return [...this.invites.values()].flatMap((i) => (i.changed && i.offer ? [{ name: i.name, identity: i.offer.identity }] : []));
  }

  /** `/trust NAME` for NAME's invitation, whose key changed: what it says, or null when there is none. */
  trust(name: string): DisplayLine[] | null {
    const invite = this.invites.get(foldName(name));
    if (!invite?.changed || !invite.offer) return null;
    this.ctx.known.pin(invite.name, invite.offer.identity);
    invite.changed = false;
    return [this.ctx.fmt.info(`Trusted ${safeLine(invite.name)}'s new key; answer the request with Y (or /accept ${safeLine(invite.name)}).`)];
  }
}
