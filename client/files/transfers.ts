/**
 * Files sent with consent, as the user lives them (issue 16): `/send bob PATH` offers bob the
 * file (its size and SHA-256 announced), bob answers Y/N (or /accept, /reject), the file streams
 * with a progress bar on both sides, `/cancel` stops it on either side, and bob keeps it only if
 * its size and digest match. Every transfer gets a number (#1, #2, ...) the user can name it by.
 *
 * Between partners of an encrypted private chat the offer's name and digest and every chunk are
 * sealed with a key of the transfer's own (secure/channel.ts); the server sees only the size.
 *
 * The session hands server messages to `received` (transfer events, chunks, acknowledgements)
 * and typed commands to `offer`, `answer`, `cancel`; lines come back to be shown, now or (after
 * disk work) through `deps.show`. This is the façade: what we send is sending.ts's, what we
 * receive receiving.ts's, and which request a refusal answers asked.ts's.
 */
import type { ErrorCode } from '../../common/errors.js';
import { foldName } from '../../common/names.js';
import type { ServerMessage } from '../../common/protocol.js';
import type { OfferRef } from '../answers.js';
import { safeLine, type DisplayLine } from '../format.js';
import { Asked } from './asked.js';
import { byNumber, type FilesDeps, type Shared } from './context.js';
import { keyOf, Receiving } from './receiving.js';
import { Sending } from './sending.js';

export type { FileLimits, FilesDeps } from './context.js';

/** Ended transfers remembered for the FILE_NO_SUCH that may cross their end. */
const ENDED_KEPT = 8;

/** The transfer events after which nothing more of a transfer is sent or taken. */
const ENDS: ReadonlySet<string> = new Set(['done', 'refused', 'cancelled', 'expired', 'failed']);

export class FileTransfers {
  private readonly asked = new Asked();
  private readonly sending: Sending;
  private readonly receiving: Receiving;
  /**
   * Transfers that ended lately (the other side cancelled, say), the last ENDED_KEPT: a chunk, ack
   * or done of ours that crossed the end gets FILE_NO_SUCH naming the transfer, which is no news.
   */
  private readonly ended: string[] = [];
  private count = 0;

  constructor(private readonly deps: FilesDeps) {
    const shared: Shared = { deps, asked: this.asked, number: () => ++this.count };
    this.sending = new Sending(shared);
    this.receiving = new Receiving(shared);
  }

  /** Offers to us not answered yet, oldest first (for Y/N and /accept). */
  pending(): OfferRef[] {
    return this.receiving.pending();
  }

  /** `/send NAME PATH`: checks the file, hashes it, offers it. Lines now; the offer once hashed. */
  offer(to: string, path: string): DisplayLine[] {
    return this.sending.offer(to, path);
  }

  /** Y/N, /accept #N, /reject #N for an offer to us. */
  answer(ref: OfferRef, accept: boolean): DisplayLine[] {
    return this.receiving.answer(ref, accept);
  }

  /** `/cancel [#N|NAME]`. */
  cancel(which: string | undefined): DisplayLine[] {
    const { fmt } = this.deps;
    const all = [...this.sending.list(), ...this.receiving.list()].sort(byNumber);
    const n = which && /^#\d+$/.test(which) ? Number(which.slice(1)) : undefined;
    const chosen = all.filter((x) => which === undefined || (n !== undefined ? x.n === n : foldName(x.who) === foldName(which)));
    if (chosen.length === 1) return chosen[0]!.stop();
    if (chosen.length === 0) return [fmt.error(which === undefined ? 'no file transfer to cancel' : `no file transfer ${safeLine(which)}`)];
    return [fmt.error('more than one file transfer; say which: /cancel #N'), ...chosen.map((x) => fmt.info(`  ${x.line}`))];
  }

  /** Lines for a transfer message (null: not one of ours to handle; an error goes on to the view). */
  received(m: ServerMessage): DisplayLine[] | null {
    switch (m.type) {
      case 'transfer':
        if (ENDS.has(m.event) && this.ended.push(m.id) > ENDED_KEPT) this.ended.shift();
        return foldName(m.from) === foldName(this.deps.me()) ? this.sending.event(m) : this.receiving.event(m);
      case 'file_chunk':
        return this.receiving.chunk(m);
      case 'file_ack':
        this.sending.ack(m.id, m.seq);
        return [];
      case 'error':
        if (m.code === 'FILE_NO_SUCH' && m.id !== undefined && this.ended.includes(m.id)) return [];
        return this.refused(m);
      default:
        return null;
    }
  }

  /**
   * A refusal of one of our requests: an offer is forgotten; a yes waits again for an answer. One
   * that names a file request is ours alone, shown here: passed on, the chat view would take it
   * (a MUTED, say) for the refusal of a chat line waiting for its echo. Null: not named, for the view.
   */
  private refused(m: ServerMessage<'error'>): DisplayLine[] | null {
    const named = m.id === undefined ? null : m.from === undefined ? { offer: m.id } : { yes: keyOf(m.from, m.id) };
    // Not a file request's (its type says so), or naming a user and no request: about a chat
    // line or private chat request to them. Naming nothing, from a server that names every file
    // request it refuses: about a group line. Only from an older server is it our oldest offer's.
    if (m.re !== undefined && !m.re.startsWith('file_')) return null;
    if (named === null && (m.user !== undefined || this.deps.named())) return null;
    const ask = this.asked.refused(m.code as ErrorCode, named);
    if (ask && 'offer' in ask) this.sending.refused(ask.offer);
    else if (ask) this.receiving.refused(ask.yes);
    return named ? this.deps.fmt.message(m) : null;
  }

  /** The connection was lost: every transfer stops here (the server ends them too). */
  lost(): DisplayLine[] {
    const lines = [...this.sending.lost(), ...this.receiving.lost()];
    this.asked.clear();
    return lines;
  }

  /** Waits until every transfer's files are written or removed (for tests and an orderly exit). */
  async settled(): Promise<void> {
    await this.receiving.settled();
  }
}
