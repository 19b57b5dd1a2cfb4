import { expect } from 'chai';
import { yesOrNo } from '../../common/answer.js';

describe('common/answer: the bare answer to a private-chat request', () => {
  it('reads Y, yes, N and no in any case, with blanks around, as the answer', () => {
    for (const yes of ['Y', 'y', ' yes ', 'YES', 'Yes']) expect(yesOrNo(yes), yes).to.equal(true);
    for (const no of ['N', 'n', 'no', 'NO', '\tNo ']) expect(yesOrNo(no), no).to.equal(false);
  });

  it('reads anything longer or different as chat', () => {
    for (const chat of ['', 'yes please', 'nope', 'y n', 'yess', 'ok', 'Y.', 'no!']) expect(yesOrNo(chat), chat).to.equal(null);
  });
});
