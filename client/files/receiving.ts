/**
 * The files offered to us, from the offer to their end: the offer read (its name and digest in
 * the open, or sealed and opened with our encrypted chat's keys) and held for Y/N, our answer,
 * the chunks taken through incoming.ts, and what the server says of each (cancelled, expired,
 * failed). The sending half is sending.ts; they share only the numbering and the unanswered
 * requests.
 */
import { canonicalBase64 } from '../../common/codec.js';
import { foldName } from '../../common/names.js';
import type { ServerMessage } from '../../common/protocol.js';
import { humanSize } from '../../common/size.js';
import type { OfferRef } from '../answers.js';
import { safeLine, type DisplayLine } from '../format.js';
import type { Opener } from '../secure/record.js';
import type { Listed, Shared } from './context.js';
import { Incoming, removeDeadParts } from './incoming.js';
import { safeFileName } from './naming.js';

/** File offers waiting for our answer, at most (a hostile server cannot grow this). */
const MAX_WAITING = 100;

interface Theirs {
  readonly ref: OfferRef;
  readonly sha256: Buffer;
  readonly opener: Opener | null;
  receiving: Incoming | null;
}

/** An offer's key: its sender's id, which another sender may use too. */
export const keyOf = (from: string, id: string) => `${foldName(from)}/${id}`;

export class Receiving {
  private readonly theirs = new Map<string, Theirs>();

  constructor(private readonly shared: Shared) {
    // What a receiver killed mid-transfer left in the folder (incoming.ts); again at each accept.
    void removeDeadParts(shared.deps.downloads, shared.deps.clock.now());
  }

  /** Offers to us not answered yet, oldest first (for Y/N and /accept). */
  pending(): OfferRef[] {
    return [...this.theirs.values()].filter((t) => !t.receiving).map((t) => t.ref);
  }

  /** Y/N, /accept #N, /reject #N for an offer to us. */
  answer(ref: OfferRef, accept: boolean): DisplayLine[] {
    const { deps, asked } = this.shared;
    const key = keyOf(ref.from, ref.id);
    const t = this.theirs.get(key);
    if (!t || t.receiving) return [deps.fmt.error(`file offer #${ref.n} is no longer waiting`)];
    if (!accept) return this.refuse(t);
    const incoming = new Incoming(
      { from: ref.from, id: ref.id, size: ref.size, sha256: t.sha256, name: ref.name, dir: deps.downloads, opener: t.opener },
      { clock: deps.clock, send: (m) => deps.send(m), progress: deps.progress, finished: (r) => this.saved(t, r) },
    );
    t.receiving = incoming;
    incoming.open().then(
      () => {
        // Gone meanwhile (cancelled, expired, the connection lost): no yes to send.
        if (this.theirs.get(key)?.receiving !== incoming) return;
        if (deps.send({ type: 'file_answer', from: ref.from, id: ref.id, accept: true })) asked.add({ yes: key });
      },
      (e: Error) => {
        this.theirs.delete(key);
        deps.send({ type: 'file_answer', from: ref.from, id: ref.id, accept: false });
        deps.show([deps.fmt.error(`refused ${safeLine(ref.from)}'s file: ${e.message}`)]);
      },
    );
    return [];
  }

  /** N, /reject, or /cancel of an offer not answered yet. */
  private refuse({ ref }: Theirs): DisplayLine[] {
    this.theirs.delete(keyOf(ref.from, ref.id));
    this.shared.deps.send({ type: 'file_answer', from: ref.from, id: ref.id, accept: false });
    // The server's word for it cannot name the file (it may not know the name: a sealed offer).
    return [this.shared.deps.fmt.notice(`You refused the file ${safeLine(ref.name)} from ${safeLine(ref.from)}`)];
  }

  private saved(t: Theirs, r: { path: string } | { problem: string }): void {
    const { ref } = t;
    this.theirs.delete(keyOf(ref.from, ref.id));
    const { fmt, show } = this.shared.deps;
    if ('path' in r) {
      show([fmt.info(`Saved ${safeLine(ref.name)} from ${safeLine(ref.from)} as ${safeLine(r.path)} (${humanSize(ref.size)}, size and SHA-256 checked).`)]);
    } else {
      show([fmt.error(`the file ${safeLine(ref.name)} from ${safeLine(ref.from)} was not kept: ${r.problem}`)]);
    }
  }

  /**
   * The server refused our yes to the offer `key` (FILE_BUSY: both our places are taken): it
   * waits again for an answer, its part file gone, so Y or /accept works later.
   */
  refused(key: string): void {
    const t = this.theirs.get(key);
    t?.receiving?.abort();
    if (t) t.receiving = null;
  }

  /** Offers to us and what we receive, for /cancel. */
  list(): Listed[] {
    return [...this.theirs.values()].map((t) => ({ n: t.ref.n, who: t.ref.from, line: `#${t.ref.n}: ${safeLine(t.ref.name)} from ${safeLine(t.ref.from)}`, stop: () => this.cancel(t) }));
  }

  private cancel(t: Theirs): DisplayLine[] {
    if (!t.receiving) return this.refuse(t);
    const { ref } = t;
    this.theirs.delete(keyOf(ref.from, ref.id));
    t.receiving.abort();
    this.shared.deps.send({ type: 'file_cancel', from: ref.from, id: ref.id });
    return [this.shared.deps.fmt.info(`Cancelled receiving ${safeLine(ref.name)} from ${safeLine(ref.from)}; nothing was kept.`)];
  }

  /** What the server says of an offer to us, the offer itself included. */
  event(m: ServerMessage<'transfer'>): DisplayLine[] {
    const key = keyOf(m.from, m.id);
    const t = this.theirs.get(key);
    if (m.event === 'offer') return this.offered(m);
    this.shared.asked.answered({ yes: key }); // accepted, or over: either way no refusal can follow
    if (!t) return [];
    const what = `${safeLine(t.ref.name)} from ${safeLine(t.ref.from)}`;
    switch (m.event) {
      case 'cancelled':
      case 'expired':
      case 'failed':
        this.theirs.delete(key);
        t.receiving?.abort();
        return [this.shared.deps.fmt.error(`the file ${what} did not come: ${safeLine(m.message)}; nothing was kept`)];
      case 'refused':
        this.theirs.delete(key);
        return [];
      default:
        return [];
    }
  }

  /** An offer to us: its name and digest in the open, or sealed (opened with our chat's keys). */
  private offered(m: ServerMessage<'transfer'>): DisplayLine[] {
    const { deps } = this.shared;
    const { fmt } = deps;
    const from = safeLine(m.from);
    const refuse = (why: string) => {
      deps.send({ type: 'file_answer', from: m.from, id: m.id, accept: false });
      return [fmt.error(`${from} offered a file, refused: ${why}`)];
    };
    if (m.size === undefined || this.theirs.size >= MAX_WAITING) return refuse('too many offers waiting');
    let name = m.name;
    let sha = m.sha256;
    let opener: Opener | null = null;
    if (m.meta !== undefined) {
      const channel = deps.channelWith(m.from);
      if (!channel) return refuse(`it is encrypted, and there is no encrypted chat with ${from} to open it with`);
      opener = channel.fileOpener(m.id);
      const r = opener.open(Buffer.from(m.meta, 'base64'));
      const meta = r.ok && r.counter === 0n ? parseMeta(r.plaintext) : null;
      if (!meta) return refuse('its encrypted description does not check out');
      ({ name, sha256: sha } = meta);
    }
    if (name === undefined || sha === undefined) return refuse('it names no file');
    const ref: OfferRef = { n: this.shared.number(), from: m.from, id: m.id, name: safeFileName(name), size: m.size };
    this.theirs.set(keyOf(m.from, m.id), { ref, sha256: Buffer.from(sha, 'base64'), opener, receiving: null });
    const sealed = opener ? ', end-to-end encrypted' : '';
    return [{ ...fmt.info(`${from} wants to send you ${safeLine(ref.name)} (${humanSize(m.size)}${sealed}) (Y/N)?  (#${ref.n})`), style: 'notice' }];
  }

  /** The next chunk of a file we said yes to. */
  chunk(m: ServerMessage<'file_chunk'>): DisplayLine[] {
    const t = this.theirs.get(keyOf(m.from, m.id));
    if (!t?.receiving) return [];
    const problem = t.receiving.chunk(m.seq, m.data, m.sealed === true);
    if (problem === null) return [];
    this.theirs.delete(keyOf(m.from, m.id));
    t.receiving.abort();
    this.shared.deps.send({ type: 'file_cancel', from: m.from, id: m.id });
    return [this.shared.deps.fmt.error(`stopped receiving ${safeLine(t.ref.name)} from ${safeLine(m.from)}: ${problem}; nothing was kept`)];
  }

  /** The connection was lost: every file coming stops (one line each) and every offer is forgotten. */
  lost(): DisplayLine[] {
    const lines: DisplayLine[] = [];
    for (const t of this.theirs.values()) {
      if (!t.receiving) continue;
      t.receiving.abort();
      lines.push(this.shared.deps.fmt.error(`receiving ${safeLine(t.ref.name)} from ${safeLine(t.ref.from)} stopped: the connection was lost; nothing was kept`));
    }
    this.theirs.clear();
    return lines;
  }

  /** Waits until every file's bytes are written or removed. */
  async settled(): Promise<void> {
    await Promise.all([...this.theirs.values()].map((t) => t.receiving?.settled()));
  }
}

/** The sealed description of an offer: {name, sha256}. */
function parseMeta(bytes: Buffer): { name: string; sha256: string } | null {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as { name?: unknown; sha256?: unknown };
    if (typeof v.name !== 'string' || v.name.length > 1024 || typeof v.sha256 !== 'string' || canonicalBase64(v.sha256) !== 32) return null;
    return { name: v.name, sha256: v.sha256 };
  } catch {
    return null;
  }
}
