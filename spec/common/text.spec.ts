/**
 * Chat text rules (what the server refuses) and terminal escaping (what the client shows).
 */
import { expect } from 'chai';
import { escapeForTerminal, textProblem } from '../../common/text.js';

describe('text: textProblem', () => {
  it('accepts ordinary text, newlines, tabs, emoji and any script', () => {
    for (const text of ['hello', 'line one\nline two', 'col1\tcol2', '👋🏽 merhaba arkadaşlar', 'Привет', '你好', 'Y']) {
      expect(textProblem(text), JSON.stringify(text)).to.equal(null);
    }
  });

  it('refuses empty and blank text', () => {
    for (const text of ['', ' ', '   ', '\n', '\t\n ']) expect(textProblem(text), JSON.stringify(text)).to.equal('is empty');
  });

  it('refuses C0 controls (except tab and newline), DEL and C1 controls', () => {
    const controls = ['\u0000', '\u0007', '\b', '\r', '\u000b', '\f', '\u001b[2J', '\u007f', '\u0085', '\u009b31m'];
    for (const c of controls) {
      expect(textProblem(`hi ${c} there`), JSON.stringify(c)).to.equal(
        'contains control characters (only newline and tab are allowed)',
      );
    }
  });
});

describe('text: escapeForTerminal', () => {
  it('shows escape sequences as visible text instead of running them', () => {
    expect(escapeForTerminal('\u001b[2Jgone')).to.equal('\\x1b[2Jgone');
    expect(escapeForTerminal('a\u009bb')).to.equal('a\\x9bb');
    expect(escapeForTerminal('bell\u0007')).to.equal('bell\\x07');
    expect(escapeForTerminal('cr\rover')).to.equal('cr\\x0dover');
  });

  it('shows bidirectional overrides, so text cannot display reversed', () => {
    expect(escapeForTerminal('abc\u202edef')).to.equal('abc\\u202edef');
    expect(escapeForTerminal('\u2066x\u2069')).to.equal('\\u2066x\\u2069');
  });

  it('keeps newlines, emoji and accents; turns tabs into spaces', () => {
    expect(escapeForTerminal('one\ntwo 👋 ş')).to.equal('one\ntwo 👋 ş');
    expect(escapeForTerminal('a\tb')).to.equal('a    b');
  });
});
