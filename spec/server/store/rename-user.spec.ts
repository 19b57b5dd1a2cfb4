/**
 * Accounts saved under names the name rules now refuse (an invisible U+034F after "alice"): the
 * start says how many and which, escaped so they can be read; `chat-server --rename-user OLD NEW`
 * (the real command line, on a real users file with its journal in a temp folder) renames one
 * offline, keeping its password, and refuses what it cannot do in one line.
 */
import bcrypt from 'bcryptjs';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeName, refusedNames, refusedNamesWarning, unescapeName } from '../../../server/store/refused-names.js';
import { accountsOnDisk } from '../../support/accounts.js';
import { startServer, type Running } from '../../support/harness.js';
import { killAll, Proc } from '../../support/proc.js';

const MAIN = fileURLToPath(new URL('../../../server/main.js', import.meta.url));
const HIDDEN_ALICE = 'alice\u034f';

describe('names the rules now refuse: the start warning (unit)', () => {
  it('finds the refused names, and shows them with what cannot be seen escaped', () => {
    expect(refusedNames(['alice', HIDDEN_ALICE, 'Анна', 'bo\u200bb', '\u0301x'])).to.deep.equal([HIDDEN_ALICE, 'bo\u200bb', '\u0301x']);
    expect(escapeName(HIDDEN_ALICE)).to.equal('alice\\u034f');
    expect(escapeName('x\u{E0100}y')).to.equal('x\\u{e0100}y');
    expect(escapeName('Mücahit')).to.equal('Mücahit');
    for (const name of [HIDDEN_ALICE, 'x\u{E0100}y', 'a\\b', 'a\u200bb']) expect(unescapeName(escapeName(name)), name).to.equal(name);
    expect(refusedNamesWarning([])).to.equal(null);
    expect(refusedNamesWarning([HIDDEN_ALICE])).to.equal(
      '1 account has a name the name rules now refuse, and cannot log in: alice\\u034f; rename it with chat-server --rename-user OLD NEW while the server is stopped (README, "Accounts under names now refused")',
    );
    const many = Array.from({ length: 7 }, (_, i) => `u${i}\u200b`);
    expect(refusedNamesWarning(many)).to.match(/^7 accounts have names .*: u0\\u200b, u1\\u200b, u2\\u200b, u3\\u200b, u4\\u200b and 2 more; rename each with/);
  });
});

describe('names the rules now refuse: the server and --rename-user (real users file, real command line)', function () {
  this.timeout(20_000);
  let dir: string;
  let db: string;
  const procs: Proc[] = [];
  let srv: Running | null = null;

  const run = (...args: string[]) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TINYCHAT_')));
    const p = new Proc(spawn(process.execPath, [MAIN, '--db', db, ...args], { stdio: 'pipe', cwd: dir, env }));
    procs.push(p);
    return p;
  };
  /** Exit 1 with one line on stderr, nothing on stdout. */
  const refused = async (p: Proc) => {
    expect(await p.exitCode()).to.equal(1);
    const lines = p.err.filter((l) => l.trim() !== '');
    expect(lines, lines.join('\n')).to.have.length(1);
    expect(p.out.filter((l) => l.trim() !== '')).to.deep.equal([]);
    return lines[0]!;
  };
  /** What the users file and its journal hold. */
  const files = () => [db, `${db}.journal`].map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : null));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-rename-'));
    db = join(dir, 'users.json');
    // As an older server left them: bob written back into users.json, alice + U+034F (valid then)
    // registered since, only in the journal.
    const account = (name: string, password: string, created: string) => JSON.stringify({ name, hash: bcrypt.hashSync(password, 4), created });
    writeFileSync(db, `{"users":[\n${account('bob', 'bob-pw', '2019-01-01T00:00:00.000Z')}\n]}\n`);
    writeFileSync(`${db}.journal`, `${account(HIDDEN_ALICE, 'alice-pw', '2020-01-02T03:04:05.000Z')}\n`);
  });
  afterEach(async () => {
    await srv?.stop();
    srv = null;
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns at start of the account that cannot log in, with its name escaped; renamed, it logs in with its password', async () => {
    srv = await startServer({ db });
    const warnings = srv.logs.filter((l) => l.startsWith('WARN'));
    expect(warnings).to.deep.equal([`WARN ${refusedNamesWarning([HIDDEN_ALICE])}`]);
    expect(await srv.login(HIDDEN_ALICE, 'alice-pw').catch((e: Error) => e.message)).to.match(/BAD_NAME|invalid username/);
    await srv.stop();
    srv = null;

    // As the warning shows the name, typed on a command line.
    const p = run('--rename-user', 'alice\\u034f', 'alice');
    expect(await p.exitCode(), p.err.join('\n')).to.equal(0);
    expect(p.out.filter((l) => l !== '')).to.deep.equal([`Renamed the account alice\\u034f to alice in ${db}; its password and creation date are kept`]);
    expect(readdirSync(dir).sort(), 'one users file: the journal folded in, no lock left').to.deep.equal(['users.json']);
    const accounts = accountsOnDisk(db);
    expect(accounts.map((a) => a.name)).to.deep.equal(['bob', 'alice']);
    expect(accounts[1]).to.include({ created: '2020-01-02T03:04:05.000Z' });

    srv = await startServer({ db });
    expect(srv.logs.filter((l) => l.startsWith('WARN'))).to.deep.equal([]);
    expect((await srv.login('alice', 'alice-pw')).me).to.include({ user: 'alice', created: false });
    expect((await srv.login('bob', 'bob-pw')).me).to.include({ user: 'bob', created: false });
  });

  it('refuses a new name that is invalid or taken, an old one that is no account, each in one line, and changes nothing', async () => {
    const before = files();
    expect(await refused(run('--rename-user', 'alice\\u034f', 'bad name'))).to.match(/^chat-server: cannot rename alice\\u034f to bad\\u0020name: use 1 to 32 characters/);
    expect(await refused(run('--rename-user', 'alice\\u034f', 'al\u034fice'))).to.match(/^chat-server: cannot rename alice\\u034f to al\\u034fice: .*no invisible characters/);
    expect(await refused(run('--rename-user', 'alice\\u034f', 'BOB'))).to.equal('chat-server: cannot rename alice\\u034f to BOB: the account bob has that name');
    expect(await refused(run('--rename-user', 'carol', 'carol2'))).to.equal('chat-server: there is no account named carol');
    expect(await refused(run('--rename-user', 'alice\\u034f'))).to.equal('chat-server: --rename-user needs 2 values');
    expect(files()).to.deep.equal(before);
    expect(readdirSync(dir).sort()).to.deep.equal(['users.json', 'users.json.journal']);
  });

  it("refuses a missing users file and a running server's, and says --redis is not supported", async () => {
    const missing = join(dir, 'none.json');
    const p = run('--rename-user', 'a', 'b', '--db', missing);
    expect(await refused(p)).to.equal(`chat-server: users file ${missing} does not exist`);
    expect(existsSync(missing)).to.equal(false);
    srv = await startServer({ db });
    expect(await refused(run('--rename-user', 'alice\\u034f', 'alice'))).to.match(
      /^chat-server: users file .*users\.json is in use by another server \(pid \d+; lock file .*\): stop that server first, then rename the account$/,
    );
    await srv.stop();
    srv = null;
    expect(accountsOnDisk(db).map((a) => a.name)).to.deep.equal(['bob', HIDDEN_ALICE]);
    expect(await refused(run('--rename-user', 'alice\\u034f', 'alice', '--redis', 'redis://127.0.0.1:1'))).to.match(/^chat-server: --rename-user renames in a users file; with --redis .* cannot rename them/);
  });
});
