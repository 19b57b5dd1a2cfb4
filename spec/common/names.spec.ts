/**
 * Username rules: 1 to 32 ASCII letters, digits, "_", "-" or ".", unique without regard to case.
 */
import { expect } from 'chai';
import { NAME_RULE, foldName, nameProblem } from '../../common/names.js';

describe('names', () => {
  it('accepts the names the seeds use and the edges of the rule', () => {
    for (const name of ['Mucahit', 'Ahmet', 'Bera', 'Hakan', 'Emre_2', 'a', 'a.b-c_d', 'X'.repeat(32), '007', '...']) {
      expect(nameProblem(name), name).to.equal(null);
    }
  });

  it('accepts __proto__, constructor and toString as ordinary names', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(nameProblem(name), name).to.equal(null);
      expect(foldName(name)).to.equal(name.toLowerCase());
    }
  });

  it('refuses anything else and states the rule', () => {
    const bad = [
      '', // empty
      'X'.repeat(33), // too long
      'al ice', // space
      'bob!',
      'a/b',
      'tab\there',
      'new\nline',
      'esc\u001b[31m',
      'Mücahit', // non-ASCII letter
      'Şimşek',
      '名前',
      '👋',
    ];
    for (const name of bad) expect(nameProblem(name), JSON.stringify(name)).to.equal(`use ${NAME_RULE}`);
    expect(NAME_RULE).to.equal('1 to 32 characters: letters, digits, "_", "-" or "."');
  });

  it('refuses Cyrillic and other look-alikes of Latin names', () => {
    const lookAlikes = [
      '\u0410lice', // Cyrillic capital A
      'b\u043eb', // Cyrillic small o
      '\u0440aypal', // Cyrillic small er, looks like p
      '\u212Aelvin', // Kelvin sign, lower-cases to a Latin k
      'alice\u200b', // zero-width space
      'ａlice', // fullwidth a
    ];
    for (const name of lookAlikes) expect(nameProblem(name), name).to.not.equal(null);
  });

  it('folds case so Alice, alice and ALICE are one key', () => {
    expect(foldName('Alice')).to.equal('alice');
    expect(foldName('ALICE')).to.equal(foldName('alice'));
    expect(foldName('Emre_2')).to.equal('emre_2');
    expect(foldName('Bob')).to.not.equal(foldName('Bob2'));
  });
});
