/**
 * Username rules: 1 to 32 letters of one script, ASCII digits, "_", "-" or ".", in NFC form,
 * unique without regard to case.
 */
import { expect } from 'chai';
import { NAME_RULE, foldName, nameProblem } from '../../common/names.js';

describe('names', () => {
  it('accepts the names the seeds use and the edges of the rule', () => {
    for (const name of ['Mucahit', 'Ahmet', 'Bera', 'Hakan', 'Emre_2', 'a', 'a.b-c_d', 'X'.repeat(32), '007', '...']) {
      expect(nameProblem(name), name).to.equal(null);
    }
  });

  it('accepts names in the letters of any one script, as people write them', () => {
    const names = ['Mücahit', 'Şimşek', 'İrem', 'Çağrı', 'Zoë', 'Straße', 'Анна', 'Ахмет', 'Ελένη', 'שרה', 'مريم', 'देवी', 'สมชาย', '名前', 'やまだ太郎', 'キム', '김민준', 'Ü'.repeat(32)];
    for (const name of names) expect(nameProblem(name), name).to.equal(null);
    // Composed or not, ü is one letter: a name typed as u + combining diaeresis is the same name.
    expect(nameProblem('Mu\u0308cahit')).to.equal(null);
    expect(foldName('Mu\u0308cahit')).to.equal(foldName('Mücahit'));
  });

  it('keeps the IRC service nick for the server, in any case', () => {
    for (const name of ['tinychat', 'TinyChat']) expect(nameProblem(name), name).to.equal(`"${name}" is reserved for the server; choose another name`);
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
      '👋',
      'Ü'.repeat(33), // 33 characters
      'bob٣', // a digit of another script
      'a+b',
    ];
    for (const name of bad) expect(nameProblem(name), JSON.stringify(name)).to.equal(`use ${NAME_RULE}`);
    expect(NAME_RULE).to.equal('1 to 32 characters: letters of one script, digits, "_", "-" or "."');
  });

  it('refuses Cyrillic and other look-alikes of Latin names', () => {
    const lookAlikes = [
      '\u0410lice', // Cyrillic capital A
      'b\u043eb', // Cyrillic small o
      '\u0440aypal', // Cyrillic small er, looks like p
      'alice\u200b', // zero-width space
      'ａlice', // fullwidth a
      'аре', // all Cyrillic, all Latin-looking: reads as "ape"
      'АНМЕТ', // AHMET in Cyrillic capitals
      'ΑΒΕ', // Greek capitals reading ABE
      'Anna名', // two scripts that are not written together
    ];
    for (const name of lookAlikes) expect(nameProblem(name), name).to.not.equal(null);
    expect(nameProblem('pаypal')).to.equal(`use ${NAME_RULE} (this name mixes Latin and Cyrillic)`);
  });

  it('takes a name in its NFC form: the Kelvin sign is the letter K, so "\u212Aelvin" is Kelvin, not a look-alike', () => {
    expect(nameProblem('\u212Aelvin')).to.equal(null);
    expect(foldName('\u212Aelvin')).to.equal('kelvin');
  });

  it('folds case so Alice, alice and ALICE are one key', () => {
    expect(foldName('Alice')).to.equal('alice');
    expect(foldName('ALICE')).to.equal(foldName('alice'));
    expect(foldName('Emre_2')).to.equal('emre_2');
    expect(foldName('Bob')).to.not.equal(foldName('Bob2'));
  });

  it('folds an ASCII name as the full Unicode fold does, and one character past ASCII the full way', () => {
    const ascii = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    expect(foldName(ascii)).to.equal(ascii.normalize('NFC').toUpperCase().toLowerCase());
    expect(foldName('STRASSE\u00df')).to.equal('strassess');
  });

  it('folds case the Unicode way: MÜCAHIT, Straße and STRASSE, İrem and irem, ΣΟΦΙΑ and σοφια', () => {
    expect(foldName('MÜCAHIT')).to.equal(foldName('mücahit'));
    expect(foldName('Straße')).to.equal(foldName('STRASSE'));
    expect(foldName('İrem')).to.equal(foldName('irem'));
    expect(foldName('ΣΟΦΙΑ')).to.equal(foldName('σοφια'));
  });
});
