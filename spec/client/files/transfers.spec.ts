/**
 * The client's file transfers (client/files/transfers.ts) as a user drives them: /send's checks
 * before anything is sent, and /cancel. Real files in a temp folder, a recording send.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_PROGRESS } from '../../../client/files/progress.js';
import { FileTransfers, type FileLimits } from '../../../client/files/transfers.js';
import { Formatter } from '../../../client/format.js';
import { ERRORS } from '../../../common/errors.js';
import type { ClientMessage, ServerMessage } from '../../../common/protocol.js';
import { FakeClock } from '../../support/fake-clock.js';
import { waitUntil } from '../../support/wait.js';

describe('client/files/transfers: /send and /cancel', () => {
  let dir: string;
  let sent: ClientMessage[];
  let limits: FileLimits | null;
  /** Whether the server names every refusal of a file request (protocol 2; see namesRefusals). */
  let named: boolean;
  let files: FileTransfers;
  /** Lines shown later, once disk work is done. */
  let shown: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-files-'));
    sent = [];
    shown = [];
    named = true;
    limits = { maxBody: 65536, maxFile: 10, window: 262144, rate: 4 * 1024 * 1024 };
    const fmt = new Formatter((ms) => new Date(ms).toISOString().slice(11, 19), () => 0);
    files = new FileTransfers({
      clock: new FakeClock(), send: (m) => sent.push(m) > 0, fmt, show: (lines) => shown.push(...texts(lines)), progress: NO_PROGRESS,
      downloads: join(dir, 'dl'), limits: () => limits, channelWith: () => null, me: () => 'alice', named: () => named,
    });
  });
  afterEach(async () => {
    // As when the connection is lost: a download a test left open closes its file.
    files.lost();
    await files.settled();
    rmSync(dir, { recursive: true, force: true });
  });

  const texts = (lines: { text: string }[]) => lines.map((l) => l.text.replace(/^\[[\d:]+\] /, ''));
  /**
   * /send a.txt to bob, then b.txt to cem. a.txt is typed first but is far larger, so its hash
   * usually finishes after b.txt's: numbers and lists must still follow the order typed.
   */
  const offerTwo = async () => {
    limits = { ...limits!, maxFile: 16 * 1024 * 1024 };
    writeFileSync(join(dir, 'a.txt'), 'a'.repeat(8 * 1024 * 1024));
    writeFileSync(join(dir, 'b.txt'), 'bbb');
    files.offer('bob', join(dir, 'a.txt'));
    files.offer('cem', join(dir, 'b.txt'));
    await waitUntil(() => sent.length === 2, 'both offers sent');
  };

  it('/send refuses, before sending anything, what the server would not take or is not a file', () => {
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'big'), 'x'.repeat(11));
    mkdirSync(join(dir, 'folder'));
    expect(texts(files.offer('bob', join(dir, 'missing')))).to.deep.equal([`! cannot send ${join(dir, 'missing')}: no such file`]);
    expect(texts(files.offer('bob', join(dir, 'folder')))).to.deep.equal([`! ${join(dir, 'folder')} is not a file`]);
    expect(texts(files.offer('bob', join(dir, 'empty')))).to.deep.equal([`! ${join(dir, 'empty')} is empty: nothing to send`]);
    expect(texts(files.offer('bob', join(dir, 'big')))).to.deep.equal([`! ${join(dir, 'big')} is 11 bytes; this server relays files up to 10 bytes`]);
    writeFileSync(join(dir, 'small.txt'), 'hi');
    expect(texts(files.offer('ALICE', join(dir, 'small.txt'))), 'to yourself: refused before the file is read').to.deep.equal(['! you cannot send a file to yourself']);
    limits = null;
    expect(texts(files.offer('bob', join(dir, 'big')))).to.deep.equal(['! this server does not relay files']);
    expect(sent).to.deep.equal([]);
  });

  it('/send of a file that passed the checks but cannot be read says why in words, not a bare code', async () => {
    // Gone between the check and the read. (A file we may not read fails the same way, but not
    // for root, who reads anything: this fails the same for everyone.)
    const path = join(dir, 'gone.txt');
    writeFileSync(path, 'abc');
    expect(texts(files.offer('bob', path))).to.deep.equal(['Checking gone.txt (3 bytes) before offering it to bob…']);
    rmSync(path);
    await waitUntil(() => shown.length > 0, 'the read failed');
    expect(shown).to.deep.equal([`! cannot read ${path}: no such file`]);
    expect(sent).to.deep.equal([]);
  });

  it('a lost connection stops every transfer, listed in the order typed', async () => {
    await offerTwo();
    expect(texts(files.lost())).to.deep.equal([
      '! sending a.txt to bob stopped: the connection was lost',
      '! sending b.txt to cem stopped: the connection was lost',
    ]);
    expect(texts(files.cancel(undefined)), 'nothing left').to.deep.equal(['! no file transfer to cancel']);
  });

  it('/cancel: nothing to cancel, the one transfer, or which of several, numbered in the order typed', async () => {
    expect(texts(files.cancel(undefined))).to.deep.equal(['! no file transfer to cancel']);
    await offerTwo();
    const offers = sent as ClientMessage<'file_offer'>[];
    const idOf = (name: string) => offers.find((o) => o.name === name)!.id;
    expect(texts(files.cancel(undefined))).to.deep.equal(['! more than one file transfer; say which: /cancel #N', '  #1: a.txt to bob', '  #2: b.txt to cem']);
    expect(texts(files.cancel('#7'))).to.deep.equal(['! no file transfer #7']);
    expect(texts(files.cancel('CEM'))).to.deep.equal(['Cancelled sending b.txt to cem.']);
    expect(texts(files.cancel(undefined))).to.deep.equal(['Cancelled sending a.txt to bob.']);
    expect(sent.slice(2)).to.deep.equal([
      { type: 'file_cancel', id: idOf('b.txt') },
      { type: 'file_cancel', id: idOf('a.txt') },
    ]);
  });

  describe('a refusal answers the request it names, else the oldest: an offer sent, or a yes', () => {
    const T = Date.UTC(2026, 0, 1, 12);
    const offerFrom = (from: string, id: string): ServerMessage => ({
      type: 'transfer', event: 'offer', id, from, to: 'alice', message: `${from} wants to send you a file`, ts: T,
      size: 3, name: `${id}.txt`, sha256: Buffer.alloc(32).toString('base64'),
    });
    const busy: ServerMessage = { type: 'error', code: 'FILE_BUSY', message: 'you already have 2 file transfers under way; try again when one is over' };
    const answers = () => sent.filter((m): m is ClientMessage<'file_answer'> => m.type === 'file_answer');
    /** We offer c.txt to cem, then say yes to bob's offer `id`: both wait for an answer, the offer the older. */
    const offerThenYes = async (id: string) => {
      writeFileSync(join(dir, 'c.txt'), 'ccc');
      files.offer('cem', join(dir, 'c.txt'));
      await waitUntil(() => sent.some((m) => m.type === 'file_offer'), 'the offer sent');
      files.received(offerFrom('bob', id));
      files.answer(files.pending()[0]!, true);
      await waitUntil(() => answers().length === 1, 'the yes sent');
    };

    it('a yes to an offer when the downloads folder cannot be made refuses it in words, and says no to the sender', async () => {
      // --downloads under a file: the folder cannot be made, for root too.
      writeFileSync(join(dir, 'a-file'), '');
      const downloads = join(dir, 'a-file', 'dl');
      const fmt = new Formatter((ms) => new Date(ms).toISOString().slice(11, 19), () => 0);
      const blocked = new FileTransfers({
        clock: new FakeClock(), send: (m) => sent.push(m) > 0, fmt, show: (lines) => shown.push(...texts(lines)), progress: NO_PROGRESS,
        downloads, limits: () => limits, channelWith: () => null, me: () => 'alice', named: () => named,
      });
      blocked.received(offerFrom('bob', 'f9'));
      blocked.answer(blocked.pending()[0]!, true);
      await waitUntil(() => shown.length > 0, 'the refusal shown');
      expect(shown).to.deep.equal([`! refused bob's file: cannot write in ${downloads}: a part of the path is a file, not a folder`]);
      expect(answers()).to.deep.equal([{ type: 'file_answer', from: 'bob', id: 'f9', accept: false }]);
      expect(blocked.pending(), 'no longer waiting').to.deep.equal([]);
    });

    it('/cancel of an offer not answered yet refuses it, as N would: a no is sent and it is no longer waiting', () => {
      files.received(offerFrom('bob', 'f3'));
      expect(files.pending().map((r) => r.id)).to.deep.equal(['f3']);
      expect(texts(files.cancel('#1'))).to.deep.equal(['*** You refused the file f3.txt from bob']);
      expect(sent).to.deep.equal([{ type: 'file_answer', from: 'bob', id: 'f3', accept: false }]);
      expect(files.pending()).to.deep.equal([]);
      expect(texts(files.cancel(undefined)), 'nothing left').to.deep.equal(['! no file transfer to cancel']);
    });

    it('a yes refused (both places taken) leaves the offer waiting, to be accepted later', async () => {
      files.received(offerFrom('bob', 'f1'));
      const [ref] = files.pending();
      expect(files.answer(ref!, true)).to.deep.equal([]);
      await waitUntil(() => answers().length === 1, 'the yes sent');
      expect(files.pending(), 'being received').to.deep.equal([]);
      expect(texts(files.received({ ...busy, from: 'bob', id: 'f1' } as ServerMessage)!), 'shown here').to.deep.equal([`! ${busy.message}`]);
      expect(files.pending().map((r) => r.id), 'waiting again').to.deep.equal(['f1']);
      files.answer(files.pending()[0]!, true);
      await waitUntil(() => answers().length === 2, 'the second yes sent');
      expect(answers().map((a) => a.accept)).to.deep.equal([true, true]);
    });

    it('an error that cannot answer an offer or a yes (FILE_NO_SUCH, to a /cancel) leaves both', async () => {
      writeFileSync(join(dir, 'c.txt'), 'ccc');
      files.offer('cem', join(dir, 'c.txt'));
      await waitUntil(() => sent.some((m) => m.type === 'file_offer'), 'the offer sent');
      files.received({ type: 'error', code: 'FILE_NO_SUCH', message: 'no file transfer x1' });
      expect(texts(files.cancel('cem')), 'the offer to cem still stands').to.deep.equal(['Cancelled sending c.txt to cem.']);
    });

    it('a chunk or ack still on its way when the other side ended the transfer: its FILE_NO_SUCH is not shown', async () => {
      writeFileSync(join(dir, 'c.txt'), 'ccc');
      files.offer('bob', join(dir, 'c.txt'));
      await waitUntil(() => sent.some((m) => m.type === 'file_offer'), 'the offer sent');
      const { id } = sent.find((m): m is ClientMessage<'file_offer'> => m.type === 'file_offer')!;
      const mine = (event: 'offered' | 'accepted' | 'cancelled'): ServerMessage =>
        ({ type: 'transfer', event, id, from: 'alice', to: 'bob', message: 'bob cancelled the file transfer', ts: T }) as ServerMessage;
      files.received(mine('offered'));
      files.received(mine('accepted'));
      expect(texts(files.received(mine('cancelled'))!)).to.deep.equal(['! the file c.txt (3 bytes) to bob did not go through: bob cancelled the file transfer']);
      // The server names the transfer a refused chunk is for (an ack's and a done's: with `from`).
      const noSuch = (which: string, from?: string): ServerMessage => ({ type: 'error', code: 'FILE_NO_SUCH', message: ERRORS.FILE_NO_SUCH(which), id: which, ...(from ? { from } : {}) });
      expect(files.received(noSuch(id)), 'the chunk that crossed the cancel').to.deep.equal([]);
      expect(texts(files.received(noSuch('x1'))!), 'a transfer never ours: shown').to.deep.equal(['! no file transfer x1 (it may be over)']);
      const unnamed: ServerMessage = { type: 'error', code: 'FILE_NO_SUCH', message: ERRORS.FILE_NO_SUCH(id) };
      expect(files.received(unnamed), 'unnamed, its words are not read for an id: it goes on to the view').to.equal(null);
      // The receiver's side: an ack that crossed the sender's cancel.
      files.received(offerFrom('bob', 'f4'));
      files.answer(files.pending()[0]!, true);
      await waitUntil(() => answers().length === 1, 'the yes sent');
      files.received({ type: 'transfer', event: 'cancelled', id: 'f4', from: 'bob', to: 'alice', message: 'bob cancelled the file transfer', ts: T });
      expect(files.received(noSuch('f4', 'bob'))).to.deep.equal([]);
    });

    it('from an older server, which names no file request it refuses, the offer sent before the yes is what a refusal answers', async () => {
      named = false;
      await offerThenYes('f2');
      files.received(busy);
      expect(texts(files.cancel('cem')), 'the offer to cem is forgotten').to.deep.equal(['! no file transfer cem']);
      expect(files.pending(), 'the yes still stands').to.deep.equal([]);
    });

    it('from a server that names every refusal of a file request, one naming nothing leaves the offer and the yes alone, for the view', async () => {
      await offerThenYes('f2');
      expect(files.received(busy), 'not ours: on to the view').to.equal(null);
      expect(files.received({ type: 'error', code: 'MUTED', message: 'you are muted for sending too fast; try again in 9 s' })).to.equal(null);
      expect(texts(files.cancel('cem')), 'the offer to cem still stands').to.deep.equal(['Cancelled sending c.txt to cem.']);
    });

    it('a refusal that names its request answers that one, not the oldest: FILE_WAITING overtakes offers still waiting', async () => {
      await offerTwo();
      // The offers in the order sent (their hashes finish in either order): the newer is refused.
      const [older, newer] = sent as ClientMessage<'file_offer'>[];
      const waiting = '8 of your file offers and answers are still waiting for another server of the cluster; try again in a moment';
      files.received({ type: 'error', code: 'FILE_WAITING', message: waiting, id: newer!.id });
      const offered = files.received({ type: 'transfer', event: 'offered', id: older!.id, from: 'alice', to: older!.to, message: 'offered', ts: T })!;
      expect(texts(offered).map((t) => t.split(' (')[0]), 'the older offer still stands').to.deep.equal([`Offered ${older!.name}`]);
      expect(texts(files.cancel(undefined)), 'the refused one is forgotten').to.deep.equal([`Cancelled sending ${older!.name} to ${older!.to}.`]);
    });

    it('an offer the flood limit refuses (MUTED, naming it) is forgotten, and its refusal shown here, not taken for a chat line', async () => {
      writeFileSync(join(dir, 'c.txt'), 'ccc');
      files.offer('cem', join(dir, 'c.txt'));
      await waitUntil(() => sent.some((m) => m.type === 'file_offer'), 'the offer sent');
      const { id } = sent.find((m): m is ClientMessage<'file_offer'> => m.type === 'file_offer')!;
      const muted = 'you are muted for sending too fast; try again in 9 s';
      const shown = files.received({ type: 'error', code: 'MUTED', message: muted, retry: 9, id });
      expect(texts(shown!), 'shown by the transfers: the chat view never sees it').to.deep.equal([`! ${muted}`]);
      expect(texts(files.cancel(undefined)), 'nothing left to cancel').to.deep.equal(['! no file transfer to cancel']);
      expect(files.lost(), 'nothing stopped by a lost connection').to.deep.equal([]);
      expect(files.received({ type: 'error', code: 'MUTED', message: muted, retry: 9 }), 'an unnamed MUTED: a chat line\'s, for the view').to.equal(null);
    });

    it('a refusal that names a user and no request (a /msg to a name that is no account) leaves our offer alone, for the view', async () => {
      writeFileSync(join(dir, 'c.txt'), 'ccc');
      files.offer('cem', join(dir, 'c.txt'));
      await waitUntil(() => sent.some((m) => m.type === 'file_offer'), 'the offer sent');
      const nobody: ServerMessage = { type: 'error', code: 'NO_SUCH_USER', message: 'there is no account named nobody', user: 'nobody' };
      expect(files.received(nobody), 'the chat view shows it').to.equal(null);
      expect(texts(files.cancel('cem')), 'the offer to cem still stands').to.deep.equal(['Cancelled sending c.txt to cem.']);
    });

    it('a refused yes named by its sender and id leaves an older offer of ours alone', async () => {
      await offerThenYes('f4');
      files.received({ ...busy, from: 'BOB', id: 'f4' } as ServerMessage);
      expect(files.pending().map((r) => r.id), 'the yes refused: the offer waits again').to.deep.equal(['f4']);
      expect(texts(files.cancel('cem')), 'the offer to cem still stands').to.deep.equal(['Cancelled sending c.txt to cem.']);
    });
  });
});
