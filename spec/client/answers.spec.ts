/**
 * Which request a Y/N, /accept or /reject answers when chat requests and file offers both wait
 * (client/answers.ts). Pure: literal inputs.
 */
import { expect } from 'chai';
import { resolveAnswer, type OfferRef } from '../../client/answers.js';

const offer = (n: number, from: string, name = `f${n}.txt`): OfferRef => ({ n, from, id: `id${n}`, name, size: 2_400_000 });

describe('client/answers resolveAnswer', () => {
  it('a bare Y/N: the one chat request, or the one file offer, when it is alone', () => {
    expect(resolveAnswer(['ann'], [], undefined, true)).to.deep.equal({ kind: 'chat', from: 'ann' });
    expect(resolveAnswer([], [], undefined, true)).to.deep.equal({ kind: 'chat', from: undefined });
    expect(resolveAnswer([], [offer(1, 'ann')], undefined, false)).to.deep.equal({ kind: 'file', offer: offer(1, 'ann') });
  });

  it('a bare Y/N with a file offer beside anything else is not sent: each request is shown with its command', () => {
    expect(resolveAnswer(['bob'], [offer(1, 'ann', 'report.pdf')], undefined, true)).to.deep.equal({
      kind: 'unclear',
      lines: [
        'More than one request is waiting, so a bare Y/N could answer the wrong one. Answer one of them:',
        "  bob's private chat: /accept bob (or /reject bob)",
        "  #1: ann's file report.pdf (2.3 MiB): /accept #1 (or /reject #1)",
      ],
    });
    expect(resolveAnswer([], [offer(1, 'ann'), offer(2, 'cem')], undefined, false).kind).to.equal('unclear');
  });

  it('a bare Y/N with two chat requests waiting is not sent: it took the oldest, unsaid, and accepting it cancels the other', () => {
    expect(resolveAnswer(['ann', 'bob'], [], undefined, true)).to.deep.equal({
      kind: 'unclear',
      lines: [
        'More than one request is waiting, so a bare Y/N could answer the wrong one. Answer one of them:',
        "  ann's private chat: /accept ann (or /reject ann)",
        "  bob's private chat: /accept bob (or /reject bob)",
        '  (One private chat at a time: accepting one cancels the other requests.)',
      ],
    });
    expect(resolveAnswer(['ann', 'bob'], [], 'bob', true)).to.deep.equal({ kind: 'chat', from: 'bob' });
  });

  it('/accept #N answers that offer, or says none is waiting', () => {
    expect(resolveAnswer([], [offer(1, 'ann'), offer(2, 'cem')], '#2', true)).to.deep.equal({ kind: 'file', offer: offer(2, 'cem') });
    expect(resolveAnswer([], [offer(1, 'ann')], '#7', true)).to.deep.equal({ kind: 'unclear', lines: ['No file offer #7 is waiting.'] });
  });

  it('/accept NAME: their chat request first, else their one file offer; with two offers, say which', () => {
    expect(resolveAnswer(['Ann'], [offer(1, 'ann')], 'ANN', true)).to.deep.equal({ kind: 'chat', from: 'ANN' });
    expect(resolveAnswer([], [offer(1, 'ann')], 'Ann', true)).to.deep.equal({ kind: 'file', offer: offer(1, 'ann') });
    const two = resolveAnswer([], [offer(1, 'ann', 'a.txt'), offer(3, 'ann', 'b.txt')], 'ann', false);
    expect(two).to.deep.equal({
      kind: 'unclear',
      lines: ['ann offers more than one file; say which:', "  #1: ann's file a.txt (2.3 MiB): /reject #1 (or /accept #1)", "  #3: ann's file b.txt (2.3 MiB): /reject #3 (or /accept #3)"],
    });
    // Nothing known from them: the server answers ("has not asked you").
    expect(resolveAnswer([], [], 'zed', true)).to.deep.equal({ kind: 'chat', from: 'zed' });
  });
});
