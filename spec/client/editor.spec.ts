import { expect } from 'chai';
import { LineEditor, type Key } from '../../client/editor.js';

/** Keys as node:readline reports them. */
const ch = (s: string): Key => ({ name: s.length === 1 ? s : undefined, sequence: s });
const key = (name: string, mods: Partial<Key> = {}): Key => ({ name, sequence: '', ...mods });
const ctrl = (name: string): Key => key(name, { ctrl: true });
const meta = (name: string): Key => key(name, { meta: true });

function typed(...keys: (string | Key)[]): LineEditor {
  const e = new LineEditor();
  for (const k of keys) {
    if (typeof k === 'string') for (const c of k) e.key(ch(c));
    else e.key(k);
  }
  return e;
}

describe('client/editor', () => {
  it('inserts at the cursor, which moves over whole graphemes', () => {
    const e = typed('abcdef', key('left'), key('left'), key('left'), 'X');
    expect([e.text, e.cursor]).to.deep.equal(['abcXdef', 4]);
    const accents = typed('e\u0301😀', key('left'), key('left'), 'X');
    expect([accents.text, accents.cursor]).to.deep.equal(['Xe\u0301😀', 1]);
  });

  it('deletes a grapheme backwards and forwards', () => {
    expect(typed('ab😀', key('backspace')).text).to.equal('ab');
    expect(typed('ab😀', key('home'), key('delete')).text).to.equal('b😀');
    expect(typed('abc', key('left'), ctrl('d')).text).to.equal('ab');
  });

  it('answers Enter with submit, Tab with complete, Ctrl-C, Ctrl-L, Ctrl-Z, and Ctrl-D on an empty line with eof', () => {
    const e = new LineEditor();
    expect(e.key(key('return'))).to.equal('submit');
    expect(e.key(key('tab'))).to.equal('complete');
    expect(e.key(ctrl('c'))).to.equal('interrupt');
    expect(e.key(ctrl('l'))).to.equal('clear');
    expect(e.key(ctrl('z'))).to.equal('suspend');
    expect(e.key(ctrl('d'))).to.equal('eof');
    expect(typed('x').key(ctrl('d'))).to.equal('none');
  });

  it('drops a typed line on Ctrl-C (cancel), unsent and not remembered, and interrupts only on an empty one', () => {
    const e = typed('half', meta('return'), 'typed', key('left'));
    e.remember('sent');
    expect(e.key(ctrl('c'))).to.equal('cancel');
    expect([e.text, e.cursor]).to.deep.equal(['', 0]);
    expect(e.key(ctrl('c'))).to.equal('interrupt');
    // Up brings back the last line sent, not the dropped one, and Down the empty line.
    e.key(key('up'));
    expect(e.text).to.equal('sent');
    expect(e.key(ctrl('c'))).to.equal('cancel');
    expect(e.text).to.equal('');
    e.key(key('up'));
    e.key(key('down'));
    expect(e.text).to.equal('');
  });

  it('starts a new line in the text with Alt-Enter or Ctrl-J, but not in an answer to a question', () => {
    expect(typed('one', meta('return'), 'two').text).to.equal('one\ntwo');
    expect(typed('one', key('enter'), 'two').text).to.equal('one\ntwo');
    const answer = new LineEditor();
    answer.multiline = false;
    answer.key(meta('return'));
    answer.insert('a\nb\r\nc');
    expect(answer.text).to.equal('a b c');
    // Ctrl-J answers, as Enter: it is what Enter typed ahead before raw mode arrives as.
    expect(answer.key(key('enter'))).to.equal('submit');
    expect(answer.key(ctrl('j'))).to.equal('submit');
  });

  it('inserts pasted text with its line ends as newlines and its control characters dropped', () => {
    const e = new LineEditor();
    e.insert('one\r\ntwo\rthree\x1b[31m\x07\tend');
    expect(e.text).to.equal('one\ntwo\nthree[31m\tend');
    expect(e.cursor).to.equal(e.text.length);
  });

  it('ignores keys that are neither text nor bound', () => {
    const e = typed('ab');
    expect(e.key({ name: 'f1', sequence: '\x1bOP' })).to.equal('none');
    expect(e.key({ name: 'escape', sequence: '\x1b' })).to.equal('none');
    expect(e.key(meta('x'))).to.equal('none');
    expect(e.text).to.equal('ab');
  });

  it('moves and deletes by word and by line', () => {
    expect(typed('hello big world', ctrl('w')).text).to.equal('hello big ');
    expect(typed('hello big world', meta('b'), meta('b'), ctrl('k')).text).to.equal('hello ');
    expect(typed('hello big world', meta('b'), ctrl('u')).text).to.equal('world');
    expect(typed('one\ntwo', ctrl('a'), 'X').text).to.equal('one\nXtwo');
    expect(typed('one\ntwo', key('up'), ctrl('e'), 'X').text).to.equal('oneX\ntwo');
  });

  it('moves between the lines of a multi-line text with Up and Down, at the same column', () => {
    const e = typed('abcd', meta('return'), 'xy');
    e.key(key('up'));
    expect(e.cursor).to.equal(2);
    e.key(key('down'));
    expect(e.cursor).to.equal(7);
  });

  it('browses the lines sent with Up and Down, and comes back to the line being typed', () => {
    const e = new LineEditor();
    for (const line of ['first', 'second']) {
      e.insert(line);
      e.remember(e.take());
    }
    e.insert('draft');
    e.key(key('up'));
    expect(e.text).to.equal('second');
    e.key(key('up'));
    expect(e.text).to.equal('first');
    expect(e.key(key('up'))).to.equal('none');
    e.key(key('down'));
    e.key(key('down'));
    expect([e.text, e.cursor]).to.deep.equal(['draft', 5]);
  });

  it('hands the line over on take, keeping blank and repeated lines out of the history', () => {
    const e = new LineEditor();
    e.insert('same');
    e.remember(e.take());
    e.insert('same');
    e.remember(e.take());
    e.remember('  ');
    expect([e.text, e.cursor]).to.deep.equal(['', 0]);
    e.key(key('up'));
    expect(e.text).to.equal('same');
    expect(e.key(key('up'))).to.equal('none');
  });
});
