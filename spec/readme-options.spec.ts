/**
 * The README's option tables against what the built programs' --help says: a newcomer reads the
 * tables, an installed user reads --help, and the two must name the same options with the same
 * defaults. Both programs are run as a user runs them (`node dist/.../main.js --help`).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The repository's root, two folders up from dist/spec/ where this runs.
const ROOT = new URL('../../', import.meta.url);
const README = readFileSync(new URL('README.md', ROOT), 'utf8');

/** Each option of `--help` with the default it shows ('' for none), yargs's own two left out. */
function helpOptions(program: string): Map<string, string> {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(`dist/${program}/main.js`, ROOT)), '--help'], { encoding: 'utf8' });
  expect(r.status, r.stderr).to.equal(0);
  const out = new Map<string, string>();
  // An option's block runs from its name to the next option's (descriptions wrap over lines).
  for (const block of r.stdout.split(/\n(?= +(?:-\w, )?--)/).slice(1)) {
    const name = /--([\w-]+)/.exec(block)![1]!;
    const shown = /\[default: ([^\]]*)\]/.exec(block.replace(/\s+/g, ' '));
    if (name !== 'help' && name !== 'version') out.set(name, shown ? shown[1]!.replace(/^"(.*)"$/, '$1') : '');
  }
  return out;
}

/**
 * Each option of the README's tables between the `from` heading and the `to` heading, with its
 * default cell (a row of several options gives each its part of a default like `8, 5, 10`).
 */
function readmeOptions(from: string, to: string): Map<string, string> {
  const [start, end] = [README.indexOf(`\n${from}\n`), README.indexOf(`\n${to}\n`)];
  expect([start, end].every((at) => at >= 0), `README headings ${from} and ${to}`).to.equal(true);
  const section = README.slice(start, end);
  expect(section.length, `README sections ${from} .. ${to}`).to.be.greaterThan(0);
  const out = new Map<string, string>();
  for (const line of section.split('\n').filter((l) => l.startsWith('| `--'))) {
    const [, options, defaults] = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const names = [...options!.matchAll(/`--([\w-]+)/g)].map((m) => m[1]!);
    const parts = defaults!.split(', ');
    names.forEach((name, i) => {
      if (name !== 'help' && name !== 'version') out.set(name, (parts.length === names.length ? parts[i]! : defaults!).replace(/`/g, ''));
    });
  }
  return out;
}

/** What the two disagree on: options only one of them has, and defaults that differ. */
function differences(help: Map<string, string>, readme: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [name, shown] of help) {
    // A switch that is on by default is documented by the way to turn it off.
    const documented = readme.get(name) ?? (shown === 'true' ? readme.get(`no-${name}`) : undefined);
    if (documented === undefined) found.push(`--${name} is in --help, not in the README`);
    else if (shown === 'false' ? documented !== 'off' : shown !== '' && shown !== 'true' && !documented.split(/[\s(),]+/).includes(shown)) {
      found.push(`--${name}: --help says ${shown}, the README ${documented}`);
    }
  }
  for (const name of readme.keys()) {
    if (!help.has(name) && !(name.startsWith('no-') && help.get(name.slice(3)) === 'true')) found.push(`--${name} is in the README, not in --help`);
  }
  return found;
}

describe('README: the option tables say what --help says', () => {
  it('chat-server: every option of --help in the tables of "Running the server" to "IRC clients", same defaults, and no other', () => {
    expect(differences(helpOptions('server'), readmeOptions('## Running the server', '## Presence'))).to.deep.equal([]);
  });

  it('chat-client: every option of --help in "Client options", same defaults, and no other', () => {
    expect(differences(helpOptions('client'), readmeOptions('### Client options', '## Encrypted private chats and files'))).to.deep.equal([]);
  });
});
