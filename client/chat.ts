/**
 * The chat once logged in: each message from the server and each line the user types goes to
 * the part it is for: the chat view (chat-view.ts), the encrypted private chats (secure/), or the
 * file transfers (files/). No connection and no timers of its own: the session (session.ts) owns
 * those, and hands in what this needs as ChatDeps.
 */
import type { Clock } from '../common/clock.js';
import { DEFAULT_MAX_BODY } from '../common/codec.js';
import { namesRefusals, type ClientMessage, type ServerMessage } from '../common/protocol.js';
import { ChatView } from './chat-view.js';
import type { DisplayLine, Formatter } from './format.js';
import { FileTransfers, type FileLimits } from './files/transfers.js';
import { OfflineReceipts } from './offline-receipts.js';
import type { SecureChats } from './secure/secure-chats.js';
import type { Ui } from './ui.js';


/** What /verify and /trust say in a client started without an identity key. */
const NO_IDENTITY = 'this client has no identity key: no encrypted chats';
export interface ChatDeps {
  clock: Clock;
  fmt: Formatter;
  ui: Pick<Ui, 'progress' | 'setPrompt' | 'bell' | 'clear'>;
  /** Where accepted files are saved. */
  downloads: string;
  /** Encrypted private sessions (null without an identity). */
  secure: SecureChats | null;
  show(lines: readonly DisplayLine[]): void;
  /** Sends while the session is ready; false when it is not (or the connection is gone). */
  send(m: ClientMessage): boolean;
  /** Sends on the connection there is, whatever the state. */
  sendAnyway(m: ClientMessage): void;
  /** Why a typed message cannot go now ('not connected', 'logging out'). */
  notSent(): string;
  /** The greeting of the server in use (its limits), if any. */
  hello(): ServerMessage<'hello'> | null;
  /** The user's name as logged in. */
  me(): string;
  logout(): void;
  /** A message reached the view (the session may have waited for that to log out). */
  viewed(): void;
}

export class Chat {
  /** What is shown and what typed lines mean. */
  readonly view: ChatView;
  /** File transfers with consent. */
  readonly files: FileTransfers;
  /** The messages kept for us while away: their receipts, each shown once. */
  private readonly offline = new OfflineReceipts();

  constructor(private readonly d: ChatDeps) {
    this.view = new ChatView(d.fmt);
    this.files = new FileTransfers({
      clock: d.clock,
      send: (m) => d.send(m),
      fmt: d.fmt,
      show: (lines) => d.show(lines),
      progress: d.ui.progress,
      downloads: d.downloads,
      limits: () => this.fileLimits(),
      channelWith: (name) => d.secure?.channelWith(name) ?? null,
      me: () => d.me(),
      named: () => namesRefusals(d.hello()),
    });
    this.view.privacy = () => d.secure?.label() ?? null;
    this.view.named = () => namesRefusals(d.hello());
    this.view.offers = () => this.files.pending();
  }

  /** The server's file limits (its hello), or null when it relays no files. */
  private fileLimits(): FileLimits | null {
    const h = this.d.hello();
    if (!h || h.maxFile === undefined || h.fileWindow === undefined || h.fileRate === undefined) return null;
    return { maxBody: h.maxBody ?? DEFAULT_MAX_BODY, maxFile: h.maxFile, window: h.fileWindow, rate: h.fileRate };
  }

  /** A message from the server, once logged in. */
  received(m: ServerMessage): void {
    const { show, receipt } = this.offline.received(m);
    // On the connection there is, whatever the state: while logging out too, or it comes again.
    if (receipt) this.d.sendAnyway(receipt);
    for (const one of show) this.route(one);
  }

  /** A message to the part it is for. */
  private route(m: ServerMessage): void {
    const fileLines = this.files.received(m);
    if (fileLines !== null) {
      this.d.show(fileLines);
      if (m.type === 'transfer' && m.event === 'offer') this.requestArrived();
      return;
    }
    const out = this.d.secure?.received(m) ?? { lines: [], pass: m };
    if (out.pass) this.toView(out.pass);
    this.d.show(out.lines);
    for (const more of out.more ?? []) this.toView(more);
    this.afterSecure();
    if (out.pass?.type === 'notice' && out.pass.event === 'pm_invite') this.requestArrived();
  }

  /** One message for the chat view (as the encrypted sessions left it). */
  private toView(m: ServerMessage): void {
    const { lines, bell, prompt, send } = this.view.received(m);
    if (prompt) this.d.ui.setPrompt(this.view.promptParts);
    this.d.show(lines);
    if (bell) this.d.ui.bell();
    if (send && this.d.send(send)) this.view.sent(send);
    this.d.viewed();
  }

  /** Sends what the encrypted sessions need sent (a rekey reply, an EXIT PM), and shows their state in the prompt. */
  private afterSecure(): void {
    for (const msg of this.d.secure?.outbox.splice(0) ?? []) this.d.sendAnyway(msg);
    this.d.ui.setPrompt(this.view.promptParts);
  }

  /** A chat request or a file offer came: if it is not the only one, say how to answer each. */
  private requestArrived(): void {
    const hint = this.view.requestsHint();
    if (hint.length > 0) this.d.show(hint);
    this.d.ui.bell();
  }

  /** /clear, Ctrl-L: a clear screen, from which /history starts again at the newest lines. */
  clear(): void {
    this.view.cleared();
    this.d.ui.clear();
  }

  // ---- what the user types -------------------------------------------------------------------

  typed(line: string): void {
    const { secure, fmt } = this.d;
    const t = this.view.typed(line);
    switch (t.kind) {
      case 'none':
        return;
      case 'show':
        return this.d.show(t.lines);
      case 'clear':
        return this.clear();
      case 'logout':
        return this.d.logout();
      case 'send': {
        const out = secure ? secure.outgoing(t.message, this.view.maxBody) : { send: t.message };
        this.afterSecure();
        if ('lines' in out) return this.d.show(out.lines);
        if (this.d.send(out.send)) return this.view.sent(t.message);
        return this.d.show([fmt.notDelivered(line, this.d.notSent())]);
      }
      case 'file-answer':
        return this.d.show(this.files.answer(t.offer, t.accept));
      case 'send-file':
        return this.d.show(this.files.offer(t.to, t.path));
      case 'cancel':
        return this.d.show(this.files.cancel(t.which));
      case 'verify':
        this.d.show(secure?.verify(t.confirm) ?? [fmt.error(NO_IDENTITY)]);
        return this.afterSecure();
      case 'trust': {
        const r = secure?.trust(t.name) ?? { lines: [fmt.error(NO_IDENTITY)], more: [] };
        this.d.show(r.lines);
        for (const more of r.more) this.toView(more);
        return this.afterSecure();
      }
    }
  }
}
