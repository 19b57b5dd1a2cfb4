import { expect } from 'chai';
import { humanSize } from '../../common/size.js';

describe('common/size', () => {
  it('labels sizes in the powers of 1024 it counts in', () => {
    expect(humanSize(1)).to.equal('1 byte');
    expect(humanSize(87)).to.equal('87 bytes');
    expect(humanSize(2048)).to.equal('2 KiB');
    expect(humanSize(3_000_000)).to.equal('2.9 MiB');
    expect(humanSize(10 * 1024 * 1024)).to.equal('10.0 MiB');
    expect(humanSize(5 * 1024 ** 3)).to.equal('5.0 GiB');
  });
});
