/**
 * Encrypted private sessions as the user lives them (issue 16): asking and answering with signed
 * keys, keys pinned per name and a changed one held until `/trust NAME`, lines sealed and opened,
 * `/verify` and its safety number, new keys after a resume or a restart, and what the prompt says.
 * The chat (chat.ts) hands every server message through `received` and every line to send
 * through `outgoing`; this answers in display lines and messages to send. No sockets, no timers.
 *
 * Never a silent downgrade: a request is encrypted unless asked for with `/plain NAME`; an
 * invitation without a key says it is NOT encrypted before it is answered; an answer to our
 * encrypted request that comes without a valid key ends the session at once; a line typed while
 * the keys are not settled (changed, being renewed) is not sent at all.
 */
import { foldName } from '../../common/names.js';
import { BUNDLE_KINDS, type ClientMessage, type ServerMessage } from '../../common/protocol.js';
import type { DisplayLine, Formatter } from '../format.js';
import { safeLine } from '../format.js';
import { makeBundle, readBundle, sessionKeys, type Bundle, type BundleKind, type Pending, type Signer } from './bundle.js';
import { Channel } from './channel.js';
import type { KnownKeys } from './known-keys.js';
import { safetyNumber } from './safety.js';

type Msg = ServerMessage;
type Notice = ServerMessage<'notice'>;

/** An invitation waiting for our answer. */
interface Invite {
  readonly name: string;
  /** Its offer, checked; null: the asker sent no key (an unencrypted chat). */
  readonly offer: Bundle | null;
  /** The pinned key differs: `/trust NAME` before it can be accepted. */
  changed: boolean;
}

/** The private session we are in. */
interface Live {
  readonly partner: string;
  /** null: not encrypted (knowingly). */
  channel: Channel | null;
  identity: Buffer | null;
  /**
   * live: lines flow; untrusted: the partner's key changed, nothing flows until /trust;
   * renewing: our new keys are offered, lines wait for the reply; waiting: this client restarted
   * and has no keys yet.
   */
  state: 'live' | 'untrusted' | 'renewing' | 'waiting';
  /** Our half of a rekey we asked for. */
  renewal: Pending | null;
  /** A partner's rekey held until /trust (their key changed). */
  heldRekey: Bundle | null;
  /** Keys made but not in use until /trust. */
  heldChannel: Channel | null;
  /** Lines from the partner received while untrusted, shown after /trust. */
  held: Msg[];
  /** Sealed lines that could not be read (sent to this client before it restarted). */
  unreadable: number;
}

export interface SecureOut {
  /** Lines to show. */
  lines: DisplayLine[];
  /** The message to hand on to the chat view (possibly rewritten: a line opened, wording made ours), or null. */
  pass: Msg | null;
  /** Messages to give the view after this one (held lines released). */
  more?: Msg[];
}

/** Lines from a partner whose key changed are kept until /trust, at most this many. */
const MAX_HELD = 100;
const ASK_ERRORS = new Set(['NO_SUCH_USER', 'PM_SELF', 'PM_BUSY', 'PM_YOU_BUSY', 'PM_PENDING', 'PM_TOO_MANY', 'PM_OUTGOING', 'E2E_UNSUPPORTED', 'E2E_BAD_KEY', 'MUTED']);

export class SecureChats {
  /** Messages this controller needs sent (a rekey reply, an EXIT PM); the session takes them after each call. */
  readonly outbox: ClientMessage[] = [];
  private asking: { to: string; pending: Pending | null } | null = null;
  /** Answered yes, waiting for the start: the keys made for it (none: unencrypted). */
  private accepting: { from: string; channel: Channel | null; identity: Buffer | null } | null = null;
  private readonly invites = new Map<string, Invite>();
  private live: Live | null = null;

  constructor(
    private readonly identity: Signer,
    private readonly known: KnownKeys,
    private readonly fmt: Formatter,
    private readonly me: () => string,
  ) {}

  /** What the prompt adds after the partner's name, or null when not in a private chat. */
  label(): string | null {
    const l = this.live;
    if (!l) return null;
    if (!l.channel && l.state === 'live') return 'NOT encrypted';
    if (l.state === 'untrusted') return `KEY CHANGED: /trust ${safeLine(l.partner)}`;
    if (l.state !== 'live') return 'encrypted, renewing keys';
    return this.known.verified(l.partner, l.identity!) ? 'encrypted, verified' : 'encrypted';
  }

  /** The channel of the encrypted session with `name`, if it is live (files use its keys). */
  channelWith(name: string): Channel | null {
    const l = this.live;
    return l && l.state === 'live' && foldName(l.partner) === foldName(name) ? l.channel : null;
  }

  // ---- asking and answering ---------------------------------------------------------------

  /** `@PM NAME` (encrypted) or `/plain NAME`. */
  request(to: string, plain: boolean): ClientMessage<'pm_request'> {
    if (plain) {
      this.asking = { to, pending: null };
      return { type: 'pm_request', to, plain: true };
    }
    const { key, pending } = makeBundle(this.identity, 'offer', this.me(), to);
    this.asking = { to, pending };
    return { type: 'pm_request', to, key };
  }

  /** Y/N or `/accept NAME`, `/reject NAME` for the invitation from `from`: the answer, or why not. */
  answer(from: string, accept: boolean): { send: ClientMessage<'pm_answer'> } | { lines: DisplayLine[] } {
    const invite = this.invites.get(foldName(from));
    if (!accept || !invite) return { send: { type: 'pm_answer', from, accept } };
    if (invite.changed) {
      const n = safeLine(invite.name);
      return { lines: [this.fmt.error(`${n}'s identity key has changed: compare safety numbers with ${n} another way, then /trust ${n} to accept the new key (or /reject ${n})`)] };
    }
    if (!invite.offer) {
      this.accepting = { from: invite.name, channel: null, identity: null };
      return { send: { type: 'pm_answer', from: invite.name, accept: true } };
    }
    const offer = invite.offer;
    const { key, pending } = makeBundle(this.identity, 'answer', this.me(), invite.name, { rid: offer.rid, ephemeral: offer.ephemeral });
    const keys = sessionKeys(pending, offer, invite.name, this.me(), false);
    this.accepting = { from: invite.name, channel: new Channel(keys), identity: offer.identity };
    return { send: { type: 'pm_answer', from: invite.name, accept: true, key } };
  }

  // ---- what the server says -----------------------------------------------------------------

  /** After a login or a resume: keys renewed, or a new session started, where there is a partner. */
  loggedIn(m: ServerMessage<'login_ok'>, how: 'login' | 'relogin' | 'resume'): { lines: DisplayLine[]; send: ClientMessage[] } {
    if (how !== 'resume') {
      this.invites.clear();
      this.asking = null;
      this.accepting = null;
    }
    const partner = m.partner;
    if (!partner) {
      this.live = null;
      return { lines: [], send: [] };
    }
    const l = this.live;
    if (how === 'resume' && l && foldName(l.partner) === foldName(partner)) {
      // A TCP blip: the session goes on, with new keys (an encrypted one).
      return { lines: [], send: l.channel ? [this.renew(l, 'rekey')] : [] };
    }
    // This client restarted (or took the session over): it has no keys; ask the partner for new ones.
    this.live = { partner, channel: null, identity: null, state: 'waiting', renewal: null, heldRekey: null, heldChannel: null, held: [], unreadable: 0 };
    const lines = [this.fmt.info(`Asking ${safeLine(partner)}'s client for new keys for your private chat (this client has restarted)…`)];
    return { lines, send: [this.renew(this.live, 'restart')] };
  }

  received(m: Msg): SecureOut {
    if (m.type === 'notice') return this.notice(m);
    if (m.type === 'msg' && m.sealed) return this.sealedLine(m);
    if (m.type === 'error') return this.error(m);
    return { lines: [], pass: m };
  }

  private notice(m: Notice): SecureOut {
    const user = m.user ?? '';
    switch (m.event) {
      case 'pm_invite':
        return this.invited(m, user);
      case 'pm_started':
        return this.started(m, user);
      case 'pm_rekey':
        return { lines: this.rekeyed(m, user), pass: null };
      case 'pm_ended':
        this.live = null;
        return { lines: [], pass: m };
      case 'pm_refused':
      case 'pm_expired':
      case 'pm_cancelled':
        this.invites.delete(foldName(user));
        if (this.asking && foldName(this.asking.to) === foldName(user)) this.asking = null;
        return { lines: [], pass: m };
      case 'pm_sent':
        return { lines: [], pass: m.user && this.asking && !this.asking.pending ? { ...m, message: `${m.message} (an unencrypted private chat, as you asked)` } : m };
      default:
        return { lines: [], pass: m };
    }
  }

  /** An invitation: our own words for it, since whether it is encrypted is for us to say, not the server. */
  private invited(m: Notice, from: string): SecureOut {
    const n = safeLine(from);
    if (m.key === undefined) {
      this.invites.set(foldName(from), { name: from, offer: null, changed: false });
      // An invitation does not say why it has no key (a /plain request from a client that could
      // encrypt looks the same as one from a client that cannot), so neither is claimed.
      const message = `${from} wants a private chat with you, NOT ENCRYPTED: no key came with the request (${from} asked for a plain chat, or ${from}'s client cannot encrypt), so the server can read it (Y/N)?`;
      return { lines: [], pass: { ...m, message } };
    }
    const offer = readBundle(m.key, ['offer'], from, this.me());
    if ('problem' in offer) {
      // Refused for the user: an offer that does not check out cannot be answered safely.
      return { lines: [this.fmt.error(`${n} asked for an encrypted private chat, but the key does not check out (${offer.problem}); refuse it with /reject ${n}`)], pass: null };
    }
    const changed = this.known.status(from, offer.identity) === 'changed';
    this.invites.set(foldName(from), { name: from, offer, changed });
    const message = `${from} wants an end-to-end encrypted private chat with you (Y/N)?`;
    const lines = changed ? this.changedWarning(from) : [];
    return { lines, pass: { ...m, message } };
  }

  /** The session started: on the asker's side with the answer's key, on ours with the keys we made. */
  private started(m: Notice, partner: string): SecureOut {
    const key = foldName(partner);
    this.invites.clear(); // every other request is void now (server/chat/consent.ts)
    const accepted = this.accepting && foldName(this.accepting.from) === key ? this.accepting : null;
    const asked = this.asking && foldName(this.asking.to) === key ? this.asking : null;
    this.accepting = null;
    this.asking = null;
    if (accepted) return this.begin(m, partner, accepted.channel, accepted.identity);
    if (asked && !asked.pending) return this.begin(m, partner, null, null);
    if (!asked) return { lines: [], pass: m };
    if (m.key === undefined) return this.broken(m, partner, 'its answer carried no key');
    const answer = readBundle(m.key, ['answer'], partner, this.me(), asked.pending!.eph.publicRaw);
    if ('problem' in answer || !answer.rid.equals(asked.pending!.rid)) {
      return this.broken(m, partner, 'problem' in answer ? answer.problem : 'it answers another request');
    }
    const channel = new Channel(sessionKeys(asked.pending!, answer, this.me(), partner, true));
    return this.begin(m, partner, channel, answer.identity);
  }

  private begin(m: Notice, partner: string, channel: Channel | null, identity: Buffer | null): SecureOut {
    const n = safeLine(partner);
    this.live = { partner, channel, identity, state: 'live', renewal: null, heldRekey: null, heldChannel: null, held: [], unreadable: 0 };
    if (!channel || !identity) {
      return { lines: [this.fmt.error(`This private chat with ${n} is NOT encrypted: the server can read it. Type EXIT PM to leave.`)], pass: m };
    }
    const lines: DisplayLine[] = [];
    const status = this.known.status(partner, identity);
    if (status === 'new') {
      this.known.pin(partner, identity);
      lines.push(this.fmt.info(`First encrypted chat with ${n}: ${n}'s key is now pinned. To be sure nobody is in the middle, compare /verify with ${n}.`));
    } else if (status === 'changed') {
      this.live.state = 'untrusted';
      lines.push(...this.changedWarning(partner));
    }
    return { lines, pass: { ...m, message: `You are now in an end-to-end encrypted private chat with ${partner}. Type EXIT PM to leave.` } };
  }

  /**
   * Our encrypted request was answered without a usable key: no session, said loudly, and left at
   * once (anything typed after this goes out after the EXIT PM, so never to the partner).
   */
  private broken(_m: Notice, partner: string, why: string): SecureOut {
    this.live = null;
    this.outbox.push({ type: 'pm_exit' });
    const n = safeLine(partner);
    return { lines: [this.fmt.error(`${n} accepted, but ${why}: the chat would not be encrypted, so this client left it (is the server tampering?)`)], pass: null };
  }

  private changedWarning(name: string): DisplayLine[] {
    const n = safeLine(name);
    return [
      this.fmt.error(`WARNING: ${n}'s identity key has CHANGED since you last talked.`),
      this.fmt.error(`It may be a new device or a reinstall, or someone (the server?) passing for ${n}. Compare safety numbers with ${n} another way (/verify once in the chat);`),
      this.fmt.error(`nothing is sent or shown until you type /trust ${n} to accept the new key.`),
    ];
  }

  // ---- keys renewed ---------------------------------------------------------------------------

  private renew(l: Live, kind: BundleKind): ClientMessage<'pm_rekey'> {
    const { key, pending } = makeBundle(this.identity, kind, this.me(), l.partner);
    l.renewal = pending;
    if (l.state !== 'waiting') l.state = 'renewing';
    return { type: 'pm_rekey', key };
  }

  /** The partner's new keys (after their resume or restart), or their reply to ours. */
  private rekeyed(m: Notice, from: string): DisplayLine[] {
    const l = this.live;
    const n = safeLine(from);
    if (!l || foldName(l.partner) !== foldName(from) || m.key === undefined) return [];
    const kind = Buffer.from(m.key, 'base64')[0];
    if (kind === BUNDLE_KINDS.rekeyReply) return this.replied(l, m.key);
    const theirs = readBundle(m.key, ['rekey', 'restart'], from, this.me());
    if ('problem' in theirs) return [this.fmt.error(`${n}'s new keys do not check out (${theirs.problem}); ignored`)];
    // Both asked at once: the offer of the name first in order wins, the other answers it.
    if (l.renewal && foldName(this.me()) < foldName(from)) return [];
    l.renewal = null;
    const changed = this.known.status(from, theirs.identity) === 'changed';
    if (changed) {
      l.state = 'untrusted';
      l.heldRekey = theirs;
      return this.changedWarning(from);
    }
    return this.replyTo(l, theirs);
  }

  /** Answers the partner's rekey (the reply goes out through `outbox`). */
  private replyTo(l: Live, theirs: Bundle): DisplayLine[] {
    const { key, pending } = makeBundle(this.identity, 'rekeyReply', this.me(), l.partner, { rid: theirs.rid, ephemeral: theirs.ephemeral });
    const keys = sessionKeys(pending, theirs, l.partner, this.me(), false);
    l.channel = l.channel ? l.channel.renewed(keys) : new Channel(keys);
    l.identity = theirs.identity;
    l.state = 'live';
    l.heldRekey = null;
    this.outbox.push({ type: 'pm_rekey', key });
    const n = safeLine(l.partner);
    const restarted = theirs.kind === 'restart';
    return [this.fmt.info(restarted ? `${n}'s client restarted: a new encrypted session with ${n} has started (lines sent to its old client are lost).` : `${n} reconnected: the session keys were renewed.`)];
  }

  private replied(l: Live, key: string): DisplayLine[] {
    const n = safeLine(l.partner);
    if (!l.renewal) return [];
    const theirs = readBundle(key, ['rekeyReply'], l.partner, this.me(), l.renewal.eph.publicRaw);
    if ('problem' in theirs || !theirs.rid.equals(l.renewal.rid)) {
      return [this.fmt.error(`${n}'s reply to the new keys does not check out (${'problem' in theirs ? theirs.problem : 'another request'}); nothing is sent until it does (EXIT PM to leave)`)];
    }
    const keys = sessionKeys(l.renewal, theirs, this.me(), l.partner, true);
    const restarted = l.state === 'waiting';
    const channel = l.channel ? l.channel.renewed(keys) : new Channel(keys);
    l.renewal = null;
    if (this.known.status(l.partner, theirs.identity) === 'changed') {
      l.state = 'untrusted';
      l.heldChannel = channel;
      l.identity = theirs.identity;
      return this.changedWarning(l.partner);
    }
    l.channel = channel;
    l.identity = theirs.identity;
    l.state = 'live';
    const lost = l.unreadable > 0 ? ` ${l.unreadable} line${l.unreadable > 1 ? 's' : ''} sent to this client before it restarted could not be read.` : '';
    l.unreadable = 0;
    return restarted ? [this.fmt.info(`New encrypted session with ${n}.${lost}`)] : [];
  }

  // ---- lines ------------------------------------------------------------------------------------

  private sealedLine(m: ServerMessage<'msg'>): SecureOut {
    const l = this.live;
    const n = safeLine(m.from);
    if (!l?.channel || (foldName(m.from) !== foldName(l.partner) && foldName(m.from) !== foldName(this.me()))) {
      if (l && l.state === 'waiting') {
        l.unreadable++;
        return { lines: [], pass: null };
      }
      return { lines: [this.fmt.error(`an encrypted line from ${n} could not be read: no encrypted chat with ${n}`)], pass: null };
    }
    if (foldName(m.from) === foldName(this.me())) {
      const mine = l.channel.echoed(m.text);
      if (!mine) return { lines: [this.fmt.error('the server echoed an encrypted line as yours that this client did not send; not shown')], pass: null };
      return { lines: [], pass: { ...m, text: mine.text, ...(mine.action ? { action: true } : {}) } };
    }
    const opened = l.channel.open(m.text);
    if (!opened.ok) return { lines: [this.fmt.error(`an encrypted line from ${n} was refused: ${opened.why}`)], pass: null };
    const lines = opened.skipped > 0 ? [this.fmt.error(`${opened.skipped} encrypted line${opened.skipped > 1 ? 's' : ''} from ${n} did not arrive (lost, or withheld by the server)`)] : [];
    const line: Msg = { ...m, text: opened.text, ...(opened.action ? { action: true } : {}) };
    if (l.state === 'untrusted') {
      if (l.held.length < MAX_HELD) l.held.push(line);
      return { lines, pass: null };
    }
    return { lines, pass: line };
  }

  /**
   * A message about to be sent. A private-chat request gets its key (unless asked for as plain),
   * an acceptance its answer key. Inside an encrypted session a line to the partner leaves
   * sealed, or not at all. Anything else goes as it is.
   */
  outgoing(m: ClientMessage, maxBody: number | undefined): { send: ClientMessage } | { lines: DisplayLine[] } {
    // Every request and answer leaves through here, so none goes without its key by accident.
    if (m.type === 'pm_request' && m.key === undefined) return { send: this.request(m.to, m.plain === true) };
    if (m.type === 'pm_answer' && m.from !== undefined && m.key === undefined) return this.answer(m.from, m.accept);
    const l = this.live;
    if (m.type !== 'say' || m.group || !l || (!l.channel && l.state === 'live')) return { send: m };
    const n = safeLine(l.partner);
    if (l.state === 'untrusted') return { lines: [this.fmt.notDelivered(m.text, `${n}'s key changed; compare /verify, then /trust ${n}, or EXIT PM`)] };
    if (l.state !== 'live' || !l.channel) return { lines: [this.fmt.notDelivered(m.text, `waiting for new keys from ${n}'s client`)] };
    // Measured before sealing: a sealed line not sent would still use up a counter, and the
    // partner would be told a line of theirs never arrived.
    const size = Channel.sealedLength(m.text);
    if (maxBody !== undefined && size > maxBody) {
      return { lines: [this.fmt.error(`message too long once encrypted: ${size.toLocaleString('en-US')} bytes, the limit is ${maxBody.toLocaleString('en-US')}; not sent`)] };
    }
    return { send: { type: 'say', text: l.channel.seal(m.text, m.action === true), sealed: true } };
  }

  private error(m: ServerMessage<'error'>): SecureOut {
    // The server's words for E2E_UNSUPPORTED already say what /plain costs: passed on as they are.
    if (this.asking && ASK_ERRORS.has(m.code)) this.asking = null;
    if (m.code === 'PM_NO_REQUEST') this.accepting = null;
    const l = this.live;
    if (m.code === 'E2E_NOT_IN' && l && l.state !== 'live' && l.renewal) {
      // Our new keys were refused: the partner's client cannot encrypt, so the chat is not encrypted.
      l.renewal = null;
      l.state = 'live';
      l.channel = null;
      return { lines: [this.fmt.error(`This private chat with ${safeLine(l.partner)} is NOT encrypted: ${safeLine(l.partner)}'s client cannot encrypt. Type EXIT PM to leave.`)], pass: null };
    }
    return { lines: [], pass: m };
  }

  // ---- /verify and /trust -------------------------------------------------------------------------

  /** `/verify`: the safety number; `/verify yes`: it matched. */
  verify(confirm: boolean): DisplayLine[] {
    const l = this.live;
    if (!l?.identity) return [this.fmt.error('/verify works inside an encrypted private chat')];
    const n = safeLine(l.partner);
    if (confirm) {
      if (l.state === 'untrusted') return [this.fmt.error(`/trust ${n} first`)];
      this.known.markVerified(l.partner, l.identity);
      return [this.fmt.info(`${n}'s key is marked as verified.`)];
    }
    const number = safetyNumber({ name: this.me(), key: this.identity.publicRaw }, { name: l.partner, key: l.identity });
    return this.fmt.infoBlock([
      `Safety number with ${n}:`,
      `  ${number}`,
      `${n} sees the same number if nobody is in the middle. Compare it another way (in person, on a call);`,
      'if it matches, type /verify yes. If it does not, leave (EXIT PM): someone is reading along.',
    ]);
  }

  /** `/trust NAME`: accepts NAME's changed key. */
  trust(name: string): { lines: DisplayLine[]; more: Msg[] } {
    const key = foldName(name);
    const invite = this.invites.get(key);
    if (invite?.changed && invite.offer) {
      this.known.pin(invite.name, invite.offer.identity);
      invite.changed = false;
      return { lines: [this.fmt.info(`Trusted ${safeLine(invite.name)}'s new key; answer the request with Y (or /accept ${safeLine(invite.name)}).`)], more: [] };
    }
    const l = this.live;
    if (l && foldName(l.partner) === key && l.state === 'untrusted') {
      const n = safeLine(l.partner);
      if (l.heldRekey) {
        this.known.pin(l.partner, l.heldRekey.identity);
        return { lines: [this.fmt.info(`Trusted ${n}'s new key.`), ...this.replyTo(l, l.heldRekey)], more: [] };
      }
      this.known.pin(l.partner, l.identity!);
      if (l.heldChannel) l.channel = l.heldChannel;
      l.heldChannel = null;
      l.state = 'live';
      const more = l.held.splice(0);
      return { lines: [this.fmt.info(`Trusted ${n}'s new key; the encrypted chat goes on.`)], more };
    }
    return { lines: [this.fmt.error(`${safeLine(name)}'s key has not changed: nothing to trust`)], more: [] };
  }
}
