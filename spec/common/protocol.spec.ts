/**
 * The protocol against what the README's protocol tables promise: a client author reads the
 * tables, so every message type, every field of it, every notice event and every goodbye reason
 * must be in them, and nothing the protocol lacks.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { BYE_REASONS, CLIENT_MESSAGES, NOTICE_EVENTS, SERVER_MESSAGES } from '../../common/protocol.js';

// The repository's root, three folders up from dist/spec/common/ where this runs.
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const row = (type: string) => README.split('\n').find((l) => l.startsWith(`| \`${type}\` |`)) ?? '';

/** The rows of the table that follows `title` (a line of its own), as [types, fields] cells. */
function table(title: string): [string[], string][] {
  const lines = README.split('\n');
  const start = lines.indexOf(title);
  expect(start, `README has no "${title}" line`).to.be.at.least(0);
  const first = lines.findIndex((l, i) => i > start && l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
  // Past the heading row and its | --- | line.
  return lines
    .slice(first + 2, end)
    .map((l) => l.split(' | '))
    .map(([types, fields]) => [[...types.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]), fields]);
}

/** What the README's table leaves out of `messages`, and what it names that `messages` lacks. */
function gaps(title: string, messages: Record<string, { fields: Record<string, unknown> }>): string[] {
  const rows = table(title);
  const missing: string[] = [];
  for (const [type, spec] of Object.entries(messages)) {
    const found = rows.find(([types]) => types.includes(type));
    if (found === undefined) {
      missing.push(type);
      continue;
    }
    const named = new Set([...found[1].matchAll(/`([A-Za-z0-9]+)\??`/g)].map((m) => m[1]));
    for (const field of Object.keys(spec.fields)) if (!named.has(field)) missing.push(`${type}.${field}`);
  }
  for (const [types] of rows) for (const type of types) if (!(type in messages)) missing.push(`${type} (not in the protocol)`);
  return missing;
}

describe('common/protocol: the README names every word of it', () => {
  it('lists every notice event in the `notice` row and every goodbye reason in the `bye` row', () => {
    const notice = row('notice');
    const bye = row('bye');
    expect(NOTICE_EVENTS.filter((e) => !notice.includes(`\`${e}\``)), 'notice events missing from the README').to.deep.equal([]);
    expect(BYE_REASONS.filter((r) => !bye.includes(`\`${r}\``)), 'bye reasons missing from the README').to.deep.equal([]);
  });

  it('has a row for every message type, naming each of its fields, in both directions', () => {
    expect(gaps('Client to server:', CLIENT_MESSAGES), 'client messages the README does not show').to.deep.equal([]);
    expect(gaps('Server to client:', SERVER_MESSAGES), 'server messages the README does not show').to.deep.equal([]);
  });
});
