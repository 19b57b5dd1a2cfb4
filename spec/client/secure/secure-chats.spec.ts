/**
 * Encrypted private sessions between two clients' SecureChats, with this spec playing the server
 * in between: it relays what each sends as the real server would (requests as invitations, lines
 * to both), and can misbehave as a hostile one would: replay, reorder, alter, swap keys.
 */
import { expect } from 'chai';
import { Channel } from '../../../client/secure/channel.js';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientMessage, ServerMessage } from '../../../common/protocol.js';
import { makeBundle, readBundle, type Signer } from '../../../client/secure/bundle.js';
import { rawPublic } from '../../../client/secure/crypto.js';
import { KnownKeys } from '../../../client/secure/known-keys.js';
import { SecureChats } from '../../../client/secure/secure-chats.js';
import { Formatter } from '../../../client/format.js';
import { paint } from '../../../client/paint.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 1);
const fmt = () => new Formatter(() => '12:00:01', () => T);
/** The server every party logs in to: the one whose pins party() uses. */
const SERVER = { host: 'test', port: 5555 };

function signer(): Signer {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicRaw: rawPublic(privateKey) };
}

interface Party {
  name: string;
  id: Signer;
  sc: SecureChats;
  known: KnownKeys;
  /** Everything shown to this party, as text. */
  shown: string[];
  /** Messages handed on to the chat view. */
  passed: ServerMessage[];
}

let dir: string;
let nextId = 1;

/** `named`: the server names every refusal of a private chat request (protocol 2); false, an older one. */
function party(name: string, id = signer(), knownFile = join(dir, `${name}-${nextId++}.json`), named = true): Party {
  const known = KnownKeys.open(knownFile);
  known.at('test:5555', undefined);
  return { name, id, known, sc: new SecureChats(id, known, fmt(), () => name, () => named), shown: [], passed: [] };
}

const notice = (event: ServerMessage<'notice'>['event'], user: string, key?: string): ServerMessage<'notice'> =>
  ({ type: 'notice', event, message: `${event} ${user}`, ts: T, user, ...(key ? { key } : {}) }) as ServerMessage<'notice'>;

/** Hands `m` to `p` as the server would send it; what it shows and passes on is recorded. */
function deliver(p: Party, m: ServerMessage): void {
  const out = p.sc.received(m);
  p.shown.push(...out.lines.map((l) => l.text));
  if (out.pass) p.passed.push(out.pass);
}

/** What `p` sends for `m` (through `outgoing`, as the session does), or the lines it shows instead. */
function sent(p: Party, m: ClientMessage): ClientMessage {
  const out = p.sc.outgoing(m, 65536);
  if ('lines' in out) throw new Error(`not sent: ${out.lines.map((l) => l.text).join(' | ')}`);
  return out.send;
}

/** Runs a request from `a` to `b` and its acceptance through an honest server. */
function pair(a: Party, b: Party): void {
  const req = sent(a, { type: 'pm_request', to: b.name }) as ClientMessage<'pm_request'>;
  deliver(b, notice('pm_invite', a.name, req.key));
  const ans = sent(b, { type: 'pm_answer', from: a.name, accept: true }) as ClientMessage<'pm_answer'>;
  deliver(a, notice('pm_started', b.name, ans.key));
  deliver(b, notice('pm_started', a.name));
}

/** A private line from `from` to `to`, as the server relays it (to both). */
function line(from: Party, to: Party, text: string): ServerMessage<'msg'> {
  const say = sent(from, { type: 'say', text }) as ClientMessage<'say'>;
  expect(say.sealed, 'sealed').to.equal(true);
  return { type: 'msg', id: nextId++, from: from.name, to: to.name, ts: T, scope: 'private', text: say.text, sealed: true };
}

/** alice and bob had an encrypted chat; then bob reinstalled (a new identity) and alice's pins remember the old one. */
function reinstalled(): { alice: Party; bob2: Party } {
  const alice = party('alice');
  pair(alice, party('bob'));
  deliver(alice, notice('pm_ended', 'bob'));
  return { alice, bob2: party('bob') };
}

const lastText = (p: Party) => { const m = p.passed.at(-1); return m?.type === 'msg' ? m.text : undefined; };
const loginOk = (user: string, partner?: string): ServerMessage<'login_ok'> => ({ type: 'login_ok', user, created: false, guest: false, ...(partner ? { partner } : {}) });

describe('client/secure/secure-chats', () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-secure-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('asks with a signed key, answers with one, and then seals every line both ways; the server sees no text', () => {
    const alice = party('alice');
    const bob = party('bob');
    pair(alice, bob);
    expect(alice.sc.label()?.text).to.equal('encrypted');
    expect(bob.sc.label()?.text).to.equal('encrypted');
    expect(bob.passed.find((m) => m.type === 'notice' && m.event === 'pm_invite')).to.deep.include({ message: 'alice wants an end-to-end encrypted private chat with you (Y/N)?' });
    expect(alice.shown.join('\n')).to.match(/First encrypted chat with bob: bob's key is now pinned/);
    const m = line(alice, bob, 'meet me at the old mill');
    expect(Buffer.from(m.text, 'base64').toString('latin1')).to.not.include('old mill');
    deliver(bob, m);
    deliver(alice, m); // the echo
    expect(lastText(bob)).to.equal('meet me at the old mill');
    expect(lastText(alice)).to.equal('meet me at the old mill');
    const action = sent(bob, { type: 'say', action: true, text: 'nods' }) as ClientMessage<'say'>;
    expect(action.action, 'the action flag travels inside').to.equal(undefined);
    deliver(alice, { type: 'msg', id: 9, from: 'bob', to: 'alice', ts: T, scope: 'private', text: action.text, sealed: true });
    expect(alice.passed.at(-1)).to.deep.include({ text: 'nods', action: true, sealed: true });
  });

  it('refuses a line too long once encrypted before sealing it, so the partner misses no line number', () => {
    const alice = party('alice');
    const bob = party('bob');
    pair(alice, bob);
    const refused = alice.sc.outgoing({ type: 'say', text: 'y'.repeat(800) }, 1000); // 1,104 bytes sealed
    expect('lines' in refused && refused.lines.map((l) => l.text).join()).to.match(/message too long once encrypted: 1,104 bytes, the limit is 1,000; not sent/);
    deliver(bob, line(alice, bob, 'after the long one'));
    expect(lastText(bob)).to.equal('after the long one');
    expect(bob.shown.join('\n')).to.not.match(/did not arrive/);
  });

  it('knows the length of a sealed line without sealing it', () => {
    const carol = party('carol');
    const dave = party('dave');
    pair(carol, dave);
    for (const text of ['', 'a', 'ab', 'abc', 'é', '日本語のテキスト', 'x'.repeat(1000)]) {
      expect(Channel.sealedLength(text), text).to.equal(line(carol, dave, text).text.length);
    }
  });

  it('refuses a replayed line, the older of two reordered ones, and an altered one, and says so', () => {
    const alice = party('alice');
    const bob = party('bob');
    pair(alice, bob);
    const [one, two, three] = [line(alice, bob, 'one'), line(alice, bob, 'two'), line(alice, bob, 'three')];
    deliver(bob, one);
    deliver(bob, one);
    expect(bob.shown.at(-1)).to.match(/encrypted line from alice was refused: replayed or out of order \(line 0, expected 1 or later\)/);
    deliver(bob, three);
    expect(lastText(bob)).to.equal('three');
    expect(bob.shown.at(-1)).to.match(/1 encrypted line from alice did not arrive/);
    deliver(bob, two);
    expect(bob.shown.at(-1)).to.match(/refused: replayed or out of order \(line 1, expected 3 or later\)/);
    const four = line(alice, bob, 'four');
    const bytes = Buffer.from(four.text, 'base64');
    bytes[15]! ^= 1;
    deliver(bob, { ...four, text: bytes.toString('base64') });
    expect(bob.shown.at(-1)).to.match(/refused: altered on the way/);
    expect(bob.passed.filter((m) => m.type === 'msg').map((m) => (m as ServerMessage<'msg'>).text)).to.deep.equal(['one', 'three']);
  });

  it('shows different safety numbers when the server swaps in keys of its own (a man in the middle)', () => {
    const alice = party('alice');
    const bob = party('bob');
    const mallory = signer();
    const req = sent(alice, { type: 'pm_request', to: 'bob' }) as ClientMessage<'pm_request'>;
    const offer = readBundle(req.key!, ['offer'], 'alice', 'bob');
    if ('problem' in offer) throw new Error(offer.problem);
    // Mallory offers bob a key of hers as alice's, and answers alice's offer as bob.
    const fake = makeBundle(mallory, 'offer', 'alice', 'bob');
    deliver(bob, notice('pm_invite', 'alice', fake.key));
    const ans = sent(bob, { type: 'pm_answer', from: 'alice', accept: true }) as ClientMessage<'pm_answer'>;
    expect(ans.key).to.be.a('string');
    deliver(bob, notice('pm_started', 'alice'));
    const fakeAnswer = makeBundle(mallory, 'answer', 'bob', 'alice', { rid: offer.rid, ephemeral: offer.ephemeral });
    deliver(alice, notice('pm_started', 'bob', fakeAnswer.key));
    expect(alice.sc.label()?.text).to.equal('encrypted');
    // Three rows of four groups: each fits a 40-column screen after the time, with no group left alone on a wrapped row.
    const rows = (p: Party) => p.sc.verify(false).slice(1, 4).map((l) => l.text);
    expect(rows(alice)).to.have.length(3);
    for (const row of rows(alice)) expect(row).to.match(/^\[12:00:01\] {3}\d{5}( \d{5}){3}$/);
    const number = (p: Party) => rows(p).map((r) => r.slice('[12:00:01]'.length).trim()).join(' ');
    expect(number(alice)).to.match(/^\d{5}( \d{5}){11}$/);
    expect(number(alice)).to.not.equal(number(bob));
    // Without Mallory the two agree.
    const carol = party('carol');
    const dave = party('dave');
    pair(carol, dave);
    expect(number(carol)).to.equal(number(dave));
  });

  it('refuses an offer whose signature does not check out, and one meant for someone else', () => {
    const alice = party('alice');
    const bob = party('bob');
    const req = sent(alice, { type: 'pm_request', to: 'carol' }) as ClientMessage<'pm_request'>;
    deliver(bob, notice('pm_invite', 'alice', req.key));
    expect(bob.shown.at(-1)).to.match(/key does not check out \(its signature does not check out/);
    expect(bob.passed).to.deep.equal([]);
  });

  it('holds a chat with a changed key until /trust NAME, loudly', () => {
    const { alice, bob2 } = reinstalled();
    const req = sent(bob2, { type: 'pm_request', to: 'alice' }) as ClientMessage<'pm_request'>;
    deliver(alice, notice('pm_invite', 'bob', req.key));
    expect(alice.shown.join('\n')).to.match(/WARNING: bob's identity key has CHANGED/);
    const refused = alice.sc.outgoing({ type: 'pm_answer', from: 'bob', accept: true }, 65536);
    expect('lines' in refused && refused.lines[0]!.text).to.match(/bob's identity key has changed: .* then \/trust bob/);
    expect(alice.sc.trust('bob').lines[0]!.text).to.match(/Trusted bob's new key/);
    const ans = sent(alice, { type: 'pm_answer', from: 'bob', accept: true }) as ClientMessage<'pm_answer'>;
    deliver(bob2, notice('pm_started', 'alice', ans.key));
    deliver(alice, notice('pm_started', 'bob'));
    expect(alice.sc.label()?.text).to.equal('encrypted');
  });

  it('/verify before /trust shows the safety number of an invitation whose key changed, the one the chat will have', () => {
    const { alice, bob2 } = reinstalled();
    expect(alice.sc.verify(false)[0]!.text, 'nothing waiting').to.match(/\/verify works inside an encrypted private chat/);
    const req = sent(bob2, { type: 'pm_request', to: 'alice' }) as ClientMessage<'pm_request'>;
    deliver(alice, notice('pm_invite', 'bob', req.key));
    expect(alice.shown.join('\n')).to.match(/Compare safety numbers with bob another way \(\/verify shows them\)/);
    const before = alice.sc.verify(false).map((l) => l.text).join('\n');
    expect(before).to.match(/Safety number with bob \(the key in bob's request\):/);
    expect(before.split('\n').slice(4)).to.deep.equal([
      '[12:00:01] bob sees the same number if nobody is in the middle.',
      '[12:00:01] Compare the two another way: in person, on a call.',
      '[12:00:01] They match? Type /trust bob, then Y.',
      '[12:00:01] If not, /reject bob.',
    ]);
    expect(alice.sc.verify(true)[0]!.text, 'nothing to mark yet').to.match(/\/trust bob first/);
    alice.sc.trust('bob');
    const ans = sent(alice, { type: 'pm_answer', from: 'bob', accept: true }) as ClientMessage<'pm_answer'>;
    deliver(bob2, notice('pm_started', 'alice', ans.key));
    deliver(alice, notice('pm_started', 'bob'));
    const digits = (text: string) => text.match(/\d{5}/g)!.join(' ');
    expect(digits(alice.sc.verify(false).map((l) => l.text).join('\n'))).to.equal(digits(before));
    expect(digits(bob2.sc.verify(false).map((l) => l.text).join('\n')), 'what bob sees').to.equal(digits(before));
  });

  it('on the asking side, sends nothing and shows nothing from a changed key until /trust, then shows what waited', () => {
    const { alice, bob2 } = reinstalled();
    const req = sent(alice, { type: 'pm_request', to: 'bob' }) as ClientMessage<'pm_request'>;
    deliver(bob2, notice('pm_invite', 'alice', req.key));
    const ans = sent(bob2, { type: 'pm_answer', from: 'alice', accept: true }) as ClientMessage<'pm_answer'>;
    deliver(bob2, notice('pm_started', 'alice'));
    deliver(alice, notice('pm_started', 'bob', ans.key));
    expect(alice.sc.label()?.text).to.equal('KEY CHANGED: /trust bob');
    const notSent = alice.sc.outgoing({ type: 'say', text: 'hi' }, 65536);
    expect('lines' in notSent && notSent.lines[0]!.text).to.match(/not delivered \(bob's key changed/);
    deliver(alice, line(bob2, alice, 'are you there?'));
    expect(lastText(alice)).to.equal(undefined);
    const trusted = alice.sc.trust('bob');
    expect(trusted.more.map((m) => (m as ServerMessage<'msg'>).text)).to.deep.equal(['are you there?']);
    expect(alice.sc.label()?.text).to.equal('encrypted');
  });

  it('/verify says what to do in whole sentences, one or two a line, that read well at 80 and at 40 columns', () => {
    const alice = party('alice');
    const bob = party('bob');
    pair(alice, bob);
    const lines = alice.sc.verify(false);
    expect(lines.map((l) => l.text).filter((t) => !/\d{5}/.test(t))).to.deep.equal([
      '[12:00:01] Safety number with bob:',
      '[12:00:01] bob sees the same number if nobody is in the middle.',
      '[12:00:01] Compare the two another way: in person, on a call.',
      '[12:00:01] They match? Type /verify yes.',
      '[12:00:01] If not, leave (EXIT PM): someone is reading along.',
    ]);
    // Every line one row at 80 columns; at 40 the number's rows stay whole, and a sentence's
    // further rows hang under its text, not at column 0.
    for (const l of lines) expect(paint(l, 80, false)).to.have.length(1);
    const at40 = lines.flatMap((l) => paint(l, 40, false));
    expect(at40.filter((r) => /\d{5}/.test(r) && !/^\[/.test(r))).to.deep.equal([]);
    for (const r of at40) expect(r).to.match(/^(\[12:00:01\] | {11}\S)/);
    expect(at40.slice(4)).to.deep.equal([
      '[12:00:01] bob sees the same number if',
      '           nobody is in the middle.',
      '[12:00:01] Compare the two another way:',
      '           in person, on a call.',
      '[12:00:01] They match? Type /verify yes.',
      '[12:00:01] If not, leave (EXIT PM):',
      '           someone is reading along.',
    ]);
  });

  it('/verify yes marks the key verified, and the prompt says so', () => {
    const alice = party('alice');
    const bob = party('bob');
    pair(alice, bob);
    expect(alice.sc.verify(true)[0]!.text).to.match(/bob's key is marked as verified/);
    expect(alice.sc.label()?.text).to.equal('encrypted, verified');
    expect(bob.sc.label()?.text).to.equal('encrypted');
  });

  it('renews the keys after a resume: lines flow on, and a line sealed with the old keys is refused', () => {
    const alice = party('alice');
    const bob = party('bob');
    pair(alice, bob);
    const old = line(alice, bob, 'before');
    deliver(bob, old);
    const resumed = alice.sc.loggedIn(loginOk('alice', 'bob'), 'resume', SERVER);
    const rekey = resumed.send[0] as ClientMessage<'pm_rekey'>;
    expect(rekey.type).to.equal('pm_rekey');
    expect(alice.sc.label()?.text).to.equal('encrypted, renewing keys');
    expect('lines' in alice.sc.outgoing({ type: 'say', text: 'wait' }, 65536), 'nothing goes while renewing').to.equal(true);
    deliver(bob, notice('pm_rekey', 'alice', rekey.key));
    expect(bob.shown.at(-1)).to.match(/alice reconnected: the session keys were renewed/);
    const reply = bob.sc.outbox.splice(0)[0] as ClientMessage<'pm_rekey'>;
    deliver(alice, notice('pm_rekey', 'bob', reply.key));
    expect(alice.sc.label()?.text).to.equal('encrypted');
    deliver(bob, line(alice, bob, 'after'));
    expect(lastText(bob)).to.equal('after');
    deliver(alice, line(bob, alice, 'and back'));
    expect(lastText(alice)).to.equal('and back');
    deliver(bob, old);
    expect(bob.shown.at(-1)).to.match(/refused: altered on the way, or not sealed with this session's key/);
  });

  it('starts a new session when the partner\'s client restarted (same identity, no keys), and says so', () => {
    const id = signer();
    const alice = party('alice', id);
    const bob = party('bob');
    pair(alice, bob);
    // alice's client restarts: same identity file, nothing else; the server gives her session back.
    const alice2 = party('alice', id);
    const start = alice2.sc.loggedIn(loginOk('alice', 'bob'), 'login', SERVER);
    expect(alice2.sc.label()?.text).to.equal('encrypted, renewing keys');
    // A line bob sent to the old client meanwhile cannot be read by the new one; it is counted.
    deliver(alice2, line(bob, alice2, 'to the old client'));
    deliver(bob, notice('pm_rekey', 'alice', (start.send[0] as ClientMessage<'pm_rekey'>).key));
    expect(bob.shown.at(-1)).to.match(/alice's client restarted: a new encrypted session with alice has started/);
    deliver(alice2, notice('pm_rekey', 'bob', (bob.sc.outbox.splice(0)[0] as ClientMessage<'pm_rekey'>).key));
    expect(alice2.shown.at(-1)).to.match(/New encrypted session with bob\. 1 line sent to this client before it restarted could not be read/);
    deliver(bob, line(alice2, bob, 'I am back'));
    expect(lastText(bob)).to.equal('I am back');
  });

  it('settles a rekey both sides asked for at once: one offer wins, the other side answers it', () => {
    const alice = party('alice');
    const bob = party('bob');
    pair(alice, bob);
    const a = alice.sc.loggedIn(loginOk('alice', 'bob'), 'resume', SERVER).send[0] as ClientMessage<'pm_rekey'>;
    const b = bob.sc.loggedIn(loginOk('bob', 'alice'), 'resume', SERVER).send[0] as ClientMessage<'pm_rekey'>;
    deliver(bob, notice('pm_rekey', 'alice', a.key));
    deliver(alice, notice('pm_rekey', 'bob', b.key));
    // "alice" < "bob": alice's offer wins; alice ignored bob's, bob answered alice's.
    expect(alice.sc.outbox).to.deep.equal([]);
    const reply = bob.sc.outbox.splice(0)[0] as ClientMessage<'pm_rekey'>;
    deliver(alice, notice('pm_rekey', 'bob', reply.key));
    deliver(bob, line(alice, bob, 'settled'));
    expect(lastText(bob)).to.equal('settled');
  });

  it('never downgrades: an invitation without a key says NOT ENCRYPTED; an encrypted request answered without one is left', () => {
    const alice = party('alice');
    deliver(alice, notice('pm_invite', 'irc_bob'));
    expect(alice.passed.at(-1)).to.deep.include({
      message: "irc_bob wants a private chat with you, NOT ENCRYPTED: no key came with the request (irc_bob asked for a plain chat, or irc_bob's client cannot encrypt), so the server can read it (Y/N)?",
    });
    const ans = sent(alice, { type: 'pm_answer', from: 'irc_bob', accept: true });
    expect(ans).to.deep.equal({ type: 'pm_answer', from: 'irc_bob', accept: true });
    deliver(alice, notice('pm_started', 'irc_bob'));
    expect(alice.sc.label()?.text).to.equal('NOT encrypted');
    expect(alice.shown.at(-1)).to.match(/This private chat with irc_bob is NOT encrypted: the server can read it/);
    expect(sent(alice, { type: 'say', text: 'plain' })).to.deep.equal({ type: 'say', text: 'plain' });

    const carol = party('carol');
    sent(carol, { type: 'pm_request', to: 'dave' });
    deliver(carol, notice('pm_started', 'dave'));
    expect(carol.sc.label()).to.equal(null);
    expect(carol.sc.outbox).to.deep.equal([{ type: 'pm_exit' }]);
    expect(carol.shown.at(-1)).to.match(/dave accepted, but its answer carried no key: .* so this client left it/);
  });

  it('keeps its request open through a refusal that names someone else (a /msg to a name that is no account), and ends it on one that names its partner', () => {
    const alice = party('alice');
    const bob = party('bob');
    const req = sent(alice, { type: 'pm_request', to: 'bob' }) as ClientMessage<'pm_request'>;
    deliver(alice, { type: 'error', code: 'NO_SUCH_USER', message: 'there is no account named nobody', user: 'nobody' });
    deliver(bob, notice('pm_invite', 'alice', req.key));
    const ans = sent(bob, { type: 'pm_answer', from: 'alice', accept: true }) as ClientMessage<'pm_answer'>;
    deliver(alice, notice('pm_started', 'bob', ans.key));
    deliver(bob, notice('pm_started', 'alice'));
    expect(alice.sc.label()?.text).to.equal('encrypted');
    expect((sent(alice, { type: 'say', text: 'sealed still' }) as ClientMessage<'say'>).sealed).to.equal(true);

    const carol = party('carol');
    sent(carol, { type: 'pm_request', to: 'Dave' });
    deliver(carol, { type: 'error', code: 'NO_SUCH_USER', message: 'dave is not online', user: 'dave' });
    deliver(carol, notice('pm_started', 'dave'));
    expect(carol.sc.label(), 'not a request of ours any more').to.equal(null);
  });

  it('a MUTED that names nobody leaves our request open (it is about a group line); one naming the partner ends it', () => {
    const alice = party('alice');
    const bob = party('bob');
    const req = sent(alice, { type: 'pm_request', to: 'bob' }) as ClientMessage<'pm_request'>;
    deliver(alice, { type: 'error', code: 'MUTED', message: 'you are muted for 10 s' });
    deliver(bob, notice('pm_invite', 'alice', req.key));
    const ans = sent(bob, { type: 'pm_answer', from: 'alice', accept: true }) as ClientMessage<'pm_answer'>;
    deliver(alice, notice('pm_started', 'bob', ans.key));
    expect(alice.sc.label()?.text).to.equal('encrypted');

    const carol = party('carol');
    sent(carol, { type: 'pm_request', to: 'dave' });
    deliver(carol, { type: 'error', code: 'MUTED', message: 'you are muted for 10 s', user: 'Dave' });
    carol.sc.outbox.length = 0;
    deliver(carol, notice('pm_started', 'dave'));
    expect(carol.sc.label(), 'the request was over: left, not run unencrypted').to.equal(null);
    expect(carol.sc.outbox).to.deep.equal([{ type: 'pm_exit' }]);
  });

  it('a refusal naming the partner after "pm_sent" is about another line to them (a /msg): the request stays open', () => {
    // The server answers a request at once, with pm_sent or its refusal: nothing after pm_sent refuses it.
    const alice = party('alice');
    const bob = party('bob');
    const req = sent(alice, { type: 'pm_request', to: 'bob' }) as ClientMessage<'pm_request'>;
    deliver(alice, notice('pm_sent', 'bob'));
    deliver(alice, { type: 'error', code: 'MUTED', message: 'you are muted for 10 s', user: 'bob' });
    deliver(bob, notice('pm_invite', 'alice', req.key));
    const ans = sent(bob, { type: 'pm_answer', from: 'alice', accept: true }) as ClientMessage<'pm_answer'>;
    alice.sc.outbox.length = 0;
    deliver(alice, notice('pm_started', 'bob', ans.key));
    expect(alice.sc.outbox, 'not left').to.deep.equal([]);
    expect(alice.sc.label()?.text).to.equal('encrypted');
  });

  it('a refusal naming the type it refuses (re) ends our request only when it is the request\'s: a /msg\'s to the same user leaves it', () => {
    const alice = party('alice');
    const bob = party('bob');
    const req = sent(alice, { type: 'pm_request', to: 'bob' }) as ClientMessage<'pm_request'>;
    deliver(alice, { type: 'error', code: 'MUTED', message: 'you are muted for 10 s', re: 'dm', user: 'bob' });
    deliver(bob, notice('pm_invite', 'alice', req.key));
    const ans = sent(bob, { type: 'pm_answer', from: 'alice', accept: true }) as ClientMessage<'pm_answer'>;
    deliver(alice, notice('pm_started', 'bob', ans.key));
    expect(alice.sc.label()?.text, 'still our request: encrypted').to.equal('encrypted');

    const carol = party('carol');
    sent(carol, { type: 'pm_request', to: 'dave' });
    deliver(carol, { type: 'error', code: 'MUTED', message: 'you are muted for 10 s', re: 'pm_request', user: 'dave' });
    carol.sc.outbox.length = 0;
    deliver(carol, notice('pm_started', 'dave'));
    expect(carol.sc.label(), 'the request was refused: left, not run unencrypted').to.equal(null);
  });

  it('from an older server, leaves a chat it holds no request for instead of running it unencrypted (a MUTED, which names nothing, ended the request while the partner accepted)', () => {
    const alice = party('alice', signer(), join(dir, `alice-${nextId++}.json`), false);
    const bob = party('bob');
    const req = sent(alice, { type: 'pm_request', to: 'bob' }) as ClientMessage<'pm_request'>;
    deliver(alice, { type: 'error', code: 'MUTED', message: 'you are muted for 10 s' });
    deliver(bob, notice('pm_invite', 'alice', req.key));
    const ans = sent(bob, { type: 'pm_answer', from: 'alice', accept: true }) as ClientMessage<'pm_answer'>;
    alice.sc.outbox.length = 0;
    deliver(alice, notice('pm_started', 'bob', ans.key));
    expect(alice.sc.label()).to.equal(null);
    expect(alice.sc.outbox).to.deep.equal([{ type: 'pm_exit' }]);
    expect(alice.shown.at(-1)).to.match(/The private chat with bob started, but this client had already given that request up: the chat would not be encrypted, so this client left it \(ask again with \/pm bob\)/);
  });

  it('an invitation answered by a typed y: a plain one runs as the plain chat both asked for, an encrypted one is left (no keys were made)', () => {
    const bob = party('bob');
    deliver(bob, notice('pm_invite', 'alice'));
    deliver(bob, notice('pm_started', 'alice'));
    expect(bob.sc.outbox).to.deep.equal([]);
    expect(bob.shown.at(-1)).to.match(/This private chat with alice is NOT encrypted/);

    const alice = party('alice');
    const carol = party('carol');
    const req = sent(alice, { type: 'pm_request', to: 'carol' }) as ClientMessage<'pm_request'>;
    deliver(carol, notice('pm_invite', 'alice', req.key));
    deliver(carol, notice('pm_started', 'alice'));
    expect(carol.sc.label()).to.equal(null);
    expect(carol.sc.outbox).to.deep.equal([{ type: 'pm_exit' }]);
    expect(carol.shown.at(-1)).to.match(/The private chat with alice started, but your yes went out as a typed line, so no keys were made for it: .* left it \(ask again with \/pm alice\)/);
  });

  it('asks knowingly for an unencrypted chat with /plain, and suggests it when the peer cannot encrypt', () => {
    const alice = party('alice');
    expect(sent(alice, { type: 'pm_request', to: 'irc_bob', plain: true })).to.deep.equal({ type: 'pm_request', to: 'irc_bob', plain: true });
    deliver(alice, notice('pm_started', 'irc_bob'));
    expect(alice.sc.label()?.text).to.equal('NOT encrypted');
    const bob = party('bob');
    sent(bob, { type: 'pm_request', to: 'irc_carol' });
    const server = "irc_carol's client cannot encrypt (an IRC client, or an older tinychat): no encrypted private chat. To chat anyway, NOT encrypted (the server can read it): /plain irc_carol";
    const shown = bob.shown.length;
    deliver(bob, { type: 'error', code: 'E2E_UNSUPPORTED', message: server, user: 'irc_carol' });
    // The server's words say it all, once: passed on as they are, nothing added beside them.
    expect(bob.shown.length).to.equal(shown);
    expect(bob.passed.at(-1)).to.deep.include({ code: 'E2E_UNSUPPORTED', message: server });
    // The request is over: a new one may be made.
    expect(sent(bob, { type: 'pm_request', to: 'carol' })).to.include({ type: 'pm_request', to: 'carol' });
  });
});
