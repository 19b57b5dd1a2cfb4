import { expect } from 'chai';
import { Histogram, percentile } from '../../bench/stats.js';

describe('bench stats', () => {
  it('percentile picks by nearest rank from exact samples, in any order', () => {
    const ms = [40, 10, 30, 20, 50, 60, 70, 80, 90, 100];
    expect(percentile(ms, 50)).to.equal(50);
    expect(percentile(ms, 99)).to.equal(100);
    expect(percentile(ms, 10)).to.equal(10);
    expect(percentile([], 50)).to.be.NaN;
  });

  it('histogram percentiles are within 1% of the exact value across microseconds to minutes', () => {
    const values = [3, 127, 128, 1_000, 12_345, 999_999, 61_000_000];
    for (const v of values) {
      const h = new Histogram();
      h.record(v);
      expect(Math.abs(h.percentile(50) - v) / v, `value ${v}`).to.be.at.most(0.01);
      expect(h.max).to.equal(v);
    }
  });

  it('a latency histogram reports p50, p99 and max of a skewed run', () => {
    const h = new Histogram();
    for (let i = 0; i < 990; i++) h.record(1_000); // 1 ms
    for (let i = 0; i < 9; i++) h.record(20_000); // 20 ms
    h.record(500_000); // one 500 ms outlier
    expect(h.count).to.equal(1000);
    expect(h.percentile(50)).to.be.closeTo(1_000, 10);
    expect(h.percentile(99)).to.be.closeTo(1_000, 10);
    expect(h.percentile(99.5)).to.be.closeTo(20_000, 200);
    expect(h.percentile(100)).to.equal(500_000);
  });

  it('merging the workers\' histograms gives the same figures as one histogram of everything', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 1; i <= 500; i++) {
      a.record(i * 10);
      all.record(i * 10);
      b.record(i * 1000);
      all.record(i * 1000);
    }
    const merged = new Histogram();
    merged.merge(a.toData());
    merged.merge(b.toData());
    for (const p of [50, 90, 99, 100]) expect(merged.percentile(p), `p${p}`).to.equal(all.percentile(p));
    expect(merged.count).to.equal(1000);
    expect(merged.mean).to.equal(all.mean);
  });
});
