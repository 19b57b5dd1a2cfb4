/**
 * The protocol's word lists against what the README's protocol tables promise: a client author
 * reads the tables, so a notice event or a goodbye reason the server sends must be in them.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { BYE_REASONS, NOTICE_EVENTS } from '../../common/protocol.js';

// The repository's root, three folders up from dist/spec/common/ where this runs.
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const row = (type: string) => README.split('\n').find((l) => l.startsWith(`| \`${type}\` |`)) ?? '';

describe('common/protocol: the README names every word of it', () => {
  it('lists every notice event in the `notice` row and every goodbye reason in the `bye` row', () => {
    const notice = row('notice');
    const bye = row('bye');
    expect(NOTICE_EVENTS.filter((e) => !notice.includes(`\`${e}\``)), 'notice events missing from the README').to.deep.equal([]);
    expect(BYE_REASONS.filter((r) => !bye.includes(`\`${r}\``)), 'bye reasons missing from the README').to.deep.equal([]);
  });
});
