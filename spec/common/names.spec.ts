/**
 * Username rules: 1 to 32 letters of one script, ASCII digits, "_", "-" or ".", in NFC form,
 * unique without regard to case.
 */
import { expect } from 'chai';
import { NAME_RULE, foldName, nameProblem, numberedName } from '../../common/names.js';

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

  it('refuses phonetic Latin letters drawn as plain ones (small capitals, Latin alpha, script g), not the IPA letters languages write', () => {
    expect(nameProblem('ᴀlice')).to.equal(`use ${NAME_RULE} (ᴀ is a phonetic letter drawn as a plain one; write the letter itself)`);
    for (const name of ['ɑlice', 'Ɑlice', 'ʙob', 'ɢreg', 'ᴊᴏʜɴ', 'ꜱam', 'ɡeorge', 'cʜris']) expect(nameProblem(name), name).to.match(/is a phonetic letter drawn as a plain one/);
    // Ewe, Hausa and Akan write these: names in them stay valid.
    for (const name of ['Ɛfua', 'ɛfua', 'Kɔfi', 'Ɓello', 'ɗan', 'Ŋɔ', 'Əli', 'Eʋe']) expect(nameProblem(name), name).to.equal(null);
  });

  it('accepts names whose script writes marks on letters: vowel signs, tone marks, stacked consonants', () => {
    const names = [
      'हिंदी', // Hindi: vowel sign, then anusvara on the same letter
      'मुक्ति', // Devanagari with a virama joining two consonants
      'สมชาย', 'ผู้ใหญ่', // Thai: vowel and tone mark on one consonant
      'Nguyễn', 'Trần', 'Phạm', 'Đặng', // Vietnamese, composed by NFC
      'Nguye\u0302\u0303n', // ... and as typed, decomposed: still one letter and its marks
      '김민준', // Korean syllables
      'ញ៉ាំ', // Khmer: three marks on one consonant
      'བསྒྲུབས', // Tibetan: stacked consonants and a vowel, three marks
      'Анна\u0483', // a Cyrillic mark on a Cyrillic name
    ];
    for (const name of names) expect(nameProblem(name), name).to.equal(null);
  });

  it('refuses invisible characters, marks among them: each would make a second "alice" that prints as alice', () => {
    const invisible = [
      'alice\u034f', // combining grapheme joiner
      'alice\ufe0f', // variation selector 16
      'al\u034fice',
      'alice\u{E0100}', // variation selector 17
      'alice\u17b4', // Khmer inherent vowel, shown as nothing
      '\u3164alice', // Hangul filler, a letter that shows nothing
      '\u115f', // Hangul choseong filler
      '\uffa0', // halfwidth Hangul filler
    ];
    for (const name of invisible) expect(nameProblem(name), JSON.stringify(name)).to.equal(`use ${NAME_RULE} (no invisible characters)`);
  });

  it('refuses a mark on no letter (at the start, after a digit or "_") and more than 4 marks on one letter', () => {
    const placed = `use ${NAME_RULE} (accents and other marks go on a letter, at most 4 to one)`;
    for (const name of ['\u0301', '\u0301alice', '7\u0301', 'bob_\u0301', 'a\u0301\u0302\u0303\u0304\u0306\u0307']) {
      expect(nameProblem(name), JSON.stringify(name)).to.equal(placed);
    }
    // a + acute is á after NFC: four marks remain on it, which is allowed.
    expect(nameProblem('a\u0301\u0302\u0303\u0304\u0306')).to.equal(null);
  });

  it('counts a mark of a script as that script: a Devanagari vowel sign on a Latin letter mixes them', () => {
    expect(nameProblem('bob\u093e')).to.equal(`use ${NAME_RULE} (this name mixes Latin and Devanagari)`);
    expect(nameProblem('bob\u0483')).to.equal(`use ${NAME_RULE} (this name mixes Latin and Cyrillic)`);
  });

  it('looks through accents for Latin look-alikes: Cyrillic ё reads as ë, Greek ό as ó', () => {
    for (const name of ['Ёе', 'ό', 'ро\u0301р', 'ѐра']) expect(nameProblem(name), name).to.equal(`use ${NAME_RULE} (this name looks like a Latin one)`);
    expect(nameProblem('ёж')).to.equal(null); // ж looks like no Latin letter
  });

  it('numbers a name in use (alice_2), cutting a long one so the whole is 32 characters', () => {
    expect(numberedName('alice', 2)).to.equal('alice_2');
    expect(numberedName('X'.repeat(32), 2)).to.equal(`${'X'.repeat(30)}_2`);
    expect(numberedName('X'.repeat(32), 10)).to.equal(`${'X'.repeat(29)}_10`);
    expect(numberedName('Ü'.repeat(32), 3)).to.equal(`${'Ü'.repeat(30)}_3`);
  });

  it('never numbers a name into one the rules refuse: a cut that leaves a Cyrillic look-alike is no name', () => {
    // Valid whole: ж looks like no Latin letter. Cut to 30 it reads "hellohello…": refused for
    // anyone, so no numbered form exists.
    const hello = `${'һеӏӏо'.repeat(6)}һж`;
    expect(nameProblem(hello)).to.equal(null);
    expect(nameProblem(`${[...hello].slice(0, 30).join('')}_2`)).to.match(/looks like a Latin one/);
    expect(numberedName(hello, 2)).to.equal(null);
    // Short enough not to be cut: the ж stays.
    expect(numberedName('һеӏӏож', 2)).to.equal('һеӏӏож_2');
    // A cut between a letter and its marks drops the marks, and leaves none dangling.
    expect(numberedName(`${'ก'.repeat(29)}ข\u0e34\u0e48`, 2)).to.equal(`${'ก'.repeat(29)}ข_2`);
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
