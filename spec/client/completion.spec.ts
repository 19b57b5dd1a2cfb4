import { expect } from 'chai';
import { complete, TabCompleter } from '../../client/completion.js';

const NAMES = ['bob', 'bobby', 'carol', 'Mücahit'];
const COMMANDS = ['/accept', '/all', '/help', '/msg', '/who'];
const at = (text: string, cursor = text.length) => complete(text, cursor, NAMES, COMMANDS);

describe('client/completion', () => {
  it('completes a name at the start of a line with ": ", elsewhere with a blank', () => {
    expect(at('car')).to.deep.equal({ text: 'carol: ', cursor: 7, candidates: [] });
    expect(at('hi car')).to.deep.equal({ text: 'hi carol ', cursor: 9, candidates: [] });
    expect(at('/msg mü')).to.deep.equal({ text: '/msg Mücahit ', cursor: 13, candidates: [] });
  });

  it('completes in the middle of a line, moving past a blank that is already there', () => {
    expect(at('hi car there', 6)).to.deep.equal({ text: 'hi carol there', cursor: 9, candidates: [] });
  });

  it('completes as far as several matches agree, and lists them', () => {
    expect(at('bo')).to.deep.equal({ text: 'bob', cursor: 3, candidates: ['bob', 'bobby'] });
    expect(at('bob')).to.deep.equal({ text: 'bob', cursor: 3, candidates: ['bob', 'bobby'] });
  });

  it('completes commands at the start of a line only, and @-addresses', () => {
    expect(at('/wh')).to.deep.equal({ text: '/who ', cursor: 5, candidates: [] });
    expect(at('/a')).to.deep.equal({ text: '/a', cursor: 2, candidates: ['/accept', '/all'] });
    expect(at('see /wh')).to.equal(null);
    expect(at('@ca')).to.deep.equal({ text: '@carol ', cursor: 7, candidates: [] });
    expect(at('@P')).to.deep.equal({ text: '@PM ', cursor: 4, candidates: [] });
  });

  it('does nothing without a word or a match', () => {
    expect(at('')).to.equal(null);
    expect(at('hello ')).to.equal(null);
    expect(at('zed')).to.equal(null);
  });

  describe('Tab again', () => {
    /** Presses Tab `n` times on `text`, each on the line the one before left. */
    function tabs(text: string, n: number, cursor = text.length) {
      const t = new TabCompleter();
      const seen = [];
      let line = { text, cursor };
      for (let i = 0; i < n; i++) {
        const r = t.complete(line.text, line.cursor, NAMES, COMMANDS);
        if (!r) break;
        seen.push(r);
        line = r;
      }
      return seen;
    }

    it('lists the matches on the first Tab only; each Tab after it puts the next match in the line, then the first again', () => {
      expect(tabs('bo', 4)).to.deep.equal([
        { text: 'bob', cursor: 3, list: ['bob', 'bobby'] },
        { text: 'bob: ', cursor: 5, list: [] },
        { text: 'bobby: ', cursor: 7, list: [] },
        { text: 'bob: ', cursor: 5, list: [] },
      ]);
    });

    it('cycles commands and a word in the middle of a line, keeping what follows', () => {
      expect(tabs('/a', 3).map((r) => r.text)).to.deep.equal(['/a', '/accept ', '/all ']);
      expect(tabs('hi b there', 3, 4)).to.deep.equal([
        { text: 'hi bob there', cursor: 6, list: ['bob', 'bobby'] },
        { text: 'hi bob there', cursor: 7, list: [] },
        { text: 'hi bobby there', cursor: 9, list: [] },
      ]);
    });

    it('starts afresh once the line was changed between two Tabs', () => {
      const t = new TabCompleter();
      expect(t.complete('bo', 2, NAMES, COMMANDS)!.list).to.deep.equal(['bob', 'bobby']);
      expect(t.complete('hi bo', 5, NAMES, COMMANDS)).to.deep.equal({ text: 'hi bob', cursor: 6, list: ['bob', 'bobby'] });
    });
  });
});
