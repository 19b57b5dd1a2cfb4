/**
 * Encrypted private sessions as the user lives them (issue 16): asking and answering with signed
 * keys, keys pinned per name and a changed one held until `/trust NAME`, lines sealed and opened,
 * `/verify` and its safety number, new keys after a resume or a restart, and what the prompt says.
 * The chat (chat.ts) hands every server message through `received` and every line to send
 * through `outgoing`; this answers in display lines and messages to send. No sockets, no timers.
 * Its parts beside it: asking and answering (handshake.ts), new keys for the session we are in
 * (rekeying.ts), lines sealed and opened (sealed-lines.ts), the session itself (live.ts).
 *
 * Never a silent downgrade: a request is encrypted unless asked for with `/plain NAME`; an
 * invitation without a key says it is NOT encrypted before it is answered; an answer to our
 * encrypted request that comes without a valid key ends the session at once; a line typed while
 * the keys are not settled (changed, being renewed) is not sent at all.
 */
import { foldName } from '../../common/names.js';
import type { ClientMessage, ServerMessage } from '../../common/protocol.js';
import type { DisplayLine, Formatter } from '../format.js';
import { safeLine } from '../format.js';
import type { Signer } from './bundle.js';
import type { Channel } from './channel.js';
import { changedWarning, type SecureContext, type SecureOut } from './context.js';
import { Handshake } from './handshake.js';
import { addressOf, type KnownKeys } from './known-keys.js';
import { liveSession, type Live } from './live.js';
import { rekeyed, renew, replyTo } from './rekeying.js';
import { safetyNumber } from './safety.js';
import { openLine, sealLine } from './sealed-lines.js';
import type { PromptLabel } from '../prompt.js';

type Msg = ServerMessage;
type Notice = ServerMessage<'notice'>;

export class SecureChats {
  /** Messages this controller needs sent (a rekey reply, an EXIT PM); the session takes them after each call. */
  readonly outbox: ClientMessage[] = [];
  private readonly ctx: SecureContext;
  private readonly handshake: Handshake;
  private live: Live | null = null;

  constructor(identity: Signer, known: KnownKeys, fmt: Formatter, me: () => string, named: () => boolean) {
    this.ctx = { identity, known, fmt, me, outbox: this.outbox, named };
    this.handshake = new Handshake(this.ctx);
  }

  /**
   * What the prompt adds after the partner's name, in full and in brief for a narrow terminal
   * (the warnings stay), or null when not in a private chat.
   */
  label(): PromptLabel | null {
    const l = this.live;
    if (!l) return null;
    if (!l.channel && l.state === 'live') return { text: 'NOT encrypted', brief: 'NOT encrypted' };
    if (l.state === 'untrusted') return { text: `KEY CHANGED: /trust ${safeLine(l.partner)}`, brief: 'KEY CHANGED' };
    if (l.state !== 'live') return { text: 'encrypted, renewing keys', brief: 'renewing keys' };
    return this.ctx.known.verified(l.partner, l.identity!) ? { text: 'encrypted, verified', brief: 'verified' } : { text: 'encrypted', brief: 'encrypted' };
  }

  /** The channel of the encrypted session with `name`, if it is live (files use its keys). */
  channelWith(name: string): Channel | null {
    const l = this.live;
    return l && l.state === 'live' && foldName(l.partner) === foldName(name) ? l.channel : null;
  }

  // ---- what the server says -----------------------------------------------------------------

  /**
   * After a login or a resume at `server`: its pins in use, then keys renewed, or a new session
   * started, where there is a partner.
   */
  loggedIn(m: ServerMessage<'login_ok'>, how: 'login' | 'relogin' | 'resume', server: { host: string; port: number }): { lines: DisplayLine[]; send: ClientMessage[] } {
    // Keys are pinned per network (one id for all servers of a cluster), or per server without one.
    this.ctx.known.at(addressOf(server), m.network);
    if (how !== 'resume') this.handshake.forget();
    const partner = m.partner;
    if (!partner) {
      this.live = null;
      return { lines: [], send: [] };
    }
    const l = this.live;
    if (how === 'resume' && l && foldName(l.partner) === foldName(partner)) {
      // A TCP blip: the session goes on, with new keys (an encrypted one).
      return { lines: [], send: l.channel ? [renew(this.ctx, l, 'rekey')] : [] };
    }
    // This client restarted (or took the session over): it has no keys; ask the partner for new ones.
    this.live = liveSession(partner, null, null, 'waiting');
    const lines = [this.ctx.fmt.info(`Asking ${safeLine(partner)}'s client for new keys for your private chat (this client has restarted)…`)];
    return { lines, send: [renew(this.ctx, this.live, 'restart')] };
  }

  received(m: Msg): SecureOut {
    if (m.type === 'notice') return this.notice(m);
    if (m.type === 'msg' && m.sealed) return openLine(this.ctx, this.live, m);
    if (m.type === 'error') return this.error(m);
    return { lines: [], pass: m };
  }

  private notice(m: Notice): SecureOut {
    const user = m.user ?? '';
    switch (m.event) {
      case 'pm_invite':
        return this.handshake.invited(m, user);
      case 'pm_started': {
        const start = this.handshake.started(user, m.key);
        // Not a request of ours nor one we accepted, as far as this client knows: it gave the
        // request up on a refusal that was about something else (an older server's MUTED names
        // nothing), or forgot it. It holds no keys for the chat, which would run unencrypted: leave it.
        if (!start) return this.broken(user, 'this client had already given that request up', true);
        return 'broken' in start ? this.broken(user, start.broken, start.ours) : this.begin(m, user, start.channel, start.identity);
      }
      case 'pm_rekey':
        return { lines: rekeyed(this.ctx, this.live, m, user), pass: null };
      case 'pm_ended':
        this.live = null;
        return { lines: [], pass: m };
      case 'pm_refused':
      case 'pm_expired':
      case 'pm_cancelled':
        this.handshake.over(user);
        return { lines: [], pass: m };
      case 'pm_sent':
        return { lines: [], pass: this.handshake.sent(m) };
      default:
        return { lines: [], pass: m };
    }
  }

  private begin(m: Notice, partner: string, channel: Channel | null, identity: Buffer | null): SecureOut {
    const { fmt, known } = this.ctx;
    const n = safeLine(partner);
    this.live = liveSession(partner, channel, identity, 'live');
    if (!channel || !identity) {
      return { lines: [fmt.error(`This private chat with ${n} is NOT encrypted: the server can read it. Type EXIT PM to leave.`)], pass: m };
    }
    const lines: DisplayLine[] = [];
    const status = known.status(partner, identity);
    if (status === 'new') {
      known.pin(partner, identity);
      lines.push(fmt.info(`First encrypted chat with ${n}: ${n}'s key is now pinned. To be sure nobody is in the middle, compare /verify with ${n}.`));
    } else if (status === 'changed') {
      this.live.state = 'untrusted';
      lines.push(...changedWarning(fmt, partner));
    }
    return { lines, pass: { ...m, message: `You are now in an end-to-end encrypted private chat with ${partner}. Type EXIT PM to leave.` } };
  }

  /**
   * Leaves a chat that would run unencrypted (our encrypted request was answered without a usable
   * key): no session, said loudly, and left at once, so anything typed after this goes out after
   * the EXIT PM, never to the partner. `ours` when this client is why, so the server is not suspected.
   */
  private broken(partner: string, why: string, ours = false): SecureOut {
    this.live = null;
    this.outbox.push({ type: 'pm_exit' });
    const n = safeLine(partner);
    const lead = ours ? `The private chat with ${n} started, but` : `${n} accepted, but`;
    const ask = ours ? `ask again with /pm ${n}` : 'is the server tampering?';
    return { lines: [this.ctx.fmt.error(`${lead} ${why}: the chat would not be encrypted, so this client left it (${ask})`)], pass: null };
  }

  /**
   * A message about to be sent. A private-chat request gets its key (unless asked for as plain),
   * an acceptance its answer key. Inside an encrypted session a line to the partner leaves
   * sealed, or not at all. Anything else goes as it is.
   */
  outgoing(m: ClientMessage, maxBody: number | undefined): { send: ClientMessage } | { lines: DisplayLine[] } {
    // Every request and answer leaves through here, so none goes without its key by accident.
    if (m.type === 'pm_request' && m.key === undefined) return { send: this.handshake.request(m.to, m.plain === true) };
    if (m.type === 'pm_answer' && m.from !== undefined && m.key === undefined) return this.handshake.answer(m.from, m.accept);
    const l = this.live;
    if (m.type !== 'say' || m.group || !l || (!l.channel && l.state === 'live')) return { send: m };
    return sealLine(this.ctx, l, m, maxBody);
  }

  private error(m: ServerMessage<'error'>): SecureOut {
    // The server's words for E2E_UNSUPPORTED already say what /plain costs: passed on as they are.
    this.handshake.refused(m.code, m.user, m.re);
    const l = this.live;
    if (m.code === 'E2E_NOT_IN' && l && l.state !== 'live' && l.renewal) {
      // Our new keys were refused: the partner's client cannot encrypt, so the chat is not encrypted.
      l.renewal = null;
      l.state = 'live';
      l.channel = null;
      return { lines: [this.ctx.fmt.error(`This private chat with ${safeLine(l.partner)} is NOT encrypted: ${safeLine(l.partner)}'s client cannot encrypt. Type EXIT PM to leave.`)], pass: null };
    }
    return { lines: [], pass: m };
  }

  // ---- /verify and /trust -------------------------------------------------------------------------

  /** `/verify`: the safety number; `/verify yes`: it matched. */
  verify(confirm: boolean): DisplayLine[] {
    const { fmt } = this.ctx;
    const l = this.live;
    if (!l?.identity) {
      // An invitation held for /trust: its number, to compare before trusting (the chat's, once in).
      const held = this.handshake.changed();
      if (held.length === 0) return [fmt.error('/verify works inside an encrypted private chat')];
      if (confirm) return [fmt.error(`/trust ${safeLine(held[0]!.name)} first`)];
      return held.flatMap(({ name, identity }) => {
        const n = safeLine(name);
        return this.safetyBlock(`${n} (the key in ${n}'s request)`, name, identity, [`They match? Type /trust ${n}, then Y.`, `If not, /reject ${n}.`]);
      });
    }
    const n = safeLine(l.partner);
    if (confirm) {
      if (l.state === 'untrusted') return [fmt.error(`/trust ${n} first`)];
      this.ctx.known.markVerified(l.partner, l.identity);
      return [fmt.info(`${n}'s key is marked as verified.`)];
    }
    return this.safetyBlock(n, l.partner, l.identity, ['They match? Type /verify yes.', 'If not, leave (EXIT PM): someone is reading along.']);
  }

  /**
   * The safety number with `name` (its identity key `key`), what to compare, and `then`: what to
   * do next. Each line is whole sentences, so none is cut between two stamped lines, and none of
   * the number's rows wraps: three rows of four groups fit a 40-column screen after the time (two
   * of six wrapped there, leaving groups alone on rows of their own).
   */
  private safetyBlock(title: string, name: string, key: Buffer, then: readonly string[]): DisplayLine[] {
    const groups = safetyNumber({ name: this.ctx.me(), key: this.ctx.identity.publicRaw }, { name, key }).split(' ');
    const n = safeLine(name);
    return this.ctx.fmt.infoBlock([
      `Safety number with ${title}:`,
      ...[0, 4, 8].map((i) => `  ${groups.slice(i, i + 4).join(' ')}`),
      `${n} sees the same number if nobody is in the middle.`,
      'Compare the two another way: in person, on a call.',
      ...then,
    ]);
  }

  /** `/trust NAME`: accepts NAME's changed key. */
  trust(name: string): { lines: DisplayLine[]; more: Msg[] } {
    const invited = this.handshake.trust(name);
    if (invited) return { lines: invited, more: [] };
    const { fmt, known } = this.ctx;
    const l = this.live;
    if (l && foldName(l.partner) === foldName(name) && l.state === 'untrusted') {
      const n = safeLine(l.partner);
      if (l.heldRekey) {
        known.pin(l.partner, l.heldRekey.identity);
        return { lines: [fmt.info(`Trusted ${n}'s new key.`), ...replyTo(this.ctx, l, l.heldRekey)], more: [] };
      }
      known.pin(l.partner, l.identity!);
      if (l.heldChannel) l.channel = l.heldChannel;
      l.heldChannel = null;
      l.state = 'live';
      const more = l.held.splice(0);
      return { lines: [fmt.info(`Trusted ${n}'s new key; the encrypted chat goes on.`)], more };
    }
    return { lines: [fmt.error(`${safeLine(name)}'s key has not changed: nothing to trust`)], more: [] };
  }
}
