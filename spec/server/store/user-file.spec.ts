/**
 * The users file and its journal, for real in a temp folder: a registration is a journal line,
 * durable when acknowledged; the journal is written back into users.json once it holds a quarter
 * as many registrations as there are accounts (at least JOURNAL_MIN) and at close, in pieces that
 * leave the event loop free; a restart reads both,
 * and a torn journal line is skipped; an import reads both the same way and writes nothing.
 */
import { expect } from 'chai';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOURNAL_MIN, journalLimit, readUsersFile, StoreError, UserFile } from '../../../server/store/user-file.js';
import { accountsOnDisk } from '../../support/accounts.js';

const HASH = `$2b$04$${'x'.repeat(53)}`;

describe('UserFile with its journal (real files)', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-users-'));
    db = join(dir, 'users.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const names = (path: string) => (JSON.parse(readFileSync(path, 'utf8')).users as { name: string }[]).map((u) => u.name);

  it('acknowledges a registration once its journal line is on disk, and leaves one file at close', async () => {
    const store = await UserFile.open(db);
    await store.create('alice', HASH, new Date(0));
    expect(readFileSync(`${db}.journal`, 'utf8')).to.include('"name":"alice"');
    expect(names(db), 'users.json is not rewritten per registration').to.deep.equal([]);
    await store.close();
    expect(names(db)).to.deep.equal(['alice']);
    expect(existsSync(`${db}.journal`)).to.equal(false);
  });

  it('shares one write among registrations that arrive together', async () => {
    const store = await UserFile.open(db);
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => store.create(n, HASH, new Date(0))));
    expect(readFileSync(`${db}.journal`, 'utf8').split('\n').filter(Boolean)).to.have.length(4);
    await store.close();
  });

  it(`writes the journal back into users.json every ${JOURNAL_MIN} registrations, without losing those that arrive meanwhile`, async function () {
    this.timeout(20_000);
    const store = await UserFile.open(db);
    const first = Array.from({ length: JOURNAL_MIN }, (_, i) => `u${i}`);
    for (const n of first) await store.create(n, HASH, new Date(0));
    // The write-back runs now; registrations go on meanwhile.
    const more = await Promise.all(['late1', 'late2'].map((n) => store.create(n, HASH, new Date(0))));
    expect(more).to.have.length(2);
    const onDisk = () => accountsOnDisk(db).map((a) => a.name);
    expect(onDisk()).to.include.members([...first, 'late1', 'late2']);
    await store.close();
    expect(names(db)).to.have.length(JOURNAL_MIN + 2);
  });

  it('waits for a journal a quarter the size of the accounts before writing back', () => {
    expect(journalLimit(0)).to.equal(JOURNAL_MIN);
    expect(journalLimit(4_000)).to.equal(JOURNAL_MIN);
    expect(journalLimit(4_001)).to.equal(1_001);
    expect(journalLimit(105_000)).to.equal(26_250);
  });

  it(`leaves a large users.json alone for ${JOURNAL_MIN} registrations: they stay in the journal`, async function () {
    this.timeout(20_000);
    const users = Array.from({ length: 8_000 }, (_, i) => ({ name: `user${i}`, hash: HASH, created: '' }));
    writeFileSync(db, JSON.stringify({ users }));
    const store = await UserFile.open(db);
    for (let batch = 0; batch < JOURNAL_MIN / 100; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`new${batch * 100 + i}`, HASH, new Date(0))));
    }
    // A write-back would have moved the journal aside before this registration's line.
    await store.create('one-more', HASH, new Date(0));
    expect(readFileSync(`${db}.journal`, 'utf8').split('\n').filter(Boolean)).to.have.length(JOURNAL_MIN + 1);
    expect(names(db), 'not written back: 1,001 is under a quarter of 9,001').to.have.length(8_000);
    await store.close();
    expect(names(db)).to.have.length(8_000 + JOURNAL_MIN + 1);
  });

  it('reads the journal a crash left behind, skipping a torn last line, and writes it back', async () => {
    writeFileSync(db, JSON.stringify({ users: [{ name: 'old', hash: HASH, created: '' }] }));
    appendFileSync(`${db}.journal`, `${JSON.stringify({ name: 'new', hash: HASH, created: '' })}\n{"name":"to`);
    const store = await UserFile.open(db);
    expect(store.size).to.equal(2);
    expect(store.find('NEW')?.name).to.equal('new');
    await store.close();
    expect(names(db)).to.deep.equal(['old', 'new']);
    expect(existsSync(`${db}.journal`)).to.equal(false);
  });

  it('reads a users file and its journals for an import as a start does, and leaves every file as it was', () => {
    writeFileSync(db, JSON.stringify({ users: [{ name: 'old', hash: HASH, created: '' }] }));
    writeFileSync(`${db}.journal.old`, `${JSON.stringify({ name: 'aside', hash: HASH, created: '' })}\n`);
    writeFileSync(`${db}.journal`, `${JSON.stringify({ name: 'OLD', hash: HASH, created: '' })}\n${JSON.stringify({ name: 'new', hash: HASH, created: '' })}\n{"name":"to`);
    const files = () => readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]);
    const before = files();
    const read = readUsersFile(db);
    expect(read.accounts.map((a) => a.name)).to.deep.equal(['old', 'aside', 'new']);
    expect(read).to.deep.include({ inFile: 1, inJournals: 2, journal: true });
    expect(files()).to.deep.equal(before);
  });

  it('refuses to read for an import a users file that does not exist, and creates nothing', () => {
    expect(() => readUsersFile(db)).to.throw(StoreError, `users file ${db} does not exist`);
    expect(() => readUsersFile(join(dir, 'no-folder', 'users.json'))).to.throw(StoreError, /no-folder\/users\.json does not exist$/);
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('serializes a large users file in pieces: other work gets turns while it is written', async function () {
    this.timeout(20_000);
    const users = Array.from({ length: 100_000 }, (_, i) => ({ name: `user${i}`, hash: HASH, created: '2026-12-02T00:00:00.000Z' }));
    writeFileSync(db, JSON.stringify({ users }));
    writeFileSync(`${db}.journal`, `${JSON.stringify({ name: 'one-more', hash: HASH, created: '' })}\n`);
    const store = await UserFile.open(db); // a journal left over: written back at once, in the background
    let turns = 0;
    let counting = true;
    const tick = () => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    await store.close(); // waits for the write-back
    counting = false;
    expect(turns, 'event-loop turns while 16 MB were written').to.be.greaterThan(20);
    expect(names(db)).to.have.length(100_001);
  });
});
