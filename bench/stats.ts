/**
 * Percentiles for the bench. Login times are few (one per client) and kept exactly; delivery
 * latencies are many (clients × messages, ten million in `fanout`), so they go into a log-linear
 * histogram that any number of workers can fill and merge, with under 1% error per bucket.
 */

/** The p-th percentile (0..100) of exact samples, by nearest rank; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Values below this are their own bucket; above it each power of two gets HALF buckets. */
const LINEAR = 128;
const HALF = LINEAR / 2;
const SUB_BITS = 6; // log2(HALF)
const TOP_BIT = 40; // 2^40 µs is 12 days: nothing in a bench run is longer
const BUCKETS = LINEAR + (TOP_BIT - 7) * HALF;

function bucketOf(v: number): number {
  if (v < LINEAR) return Math.max(0, Math.floor(v));
  const msb = Math.min(TOP_BIT - 1, Math.floor(Math.log2(v)));
  const shift = msb - SUB_BITS;
  const top = Math.min(LINEAR - 1, Math.floor(v / 2 ** shift)); // in [HALF, LINEAR)
  return LINEAR + (msb - 7) * HALF + (top - HALF);
}

/** Midpoint of a bucket: the value reported for the samples that fell into it. */
function valueOf(bucket: number): number {
  if (bucket < LINEAR) return bucket;
  const msb = 7 + Math.floor((bucket - LINEAR) / HALF);
  const top = HALF + ((bucket - LINEAR) % HALF);
  const shift = msb - SUB_BITS;
  return (top + 0.5) * 2 ** shift;
}

/** A histogram's portable form: sparse [bucket, count] pairs plus exact count, sum and max. */
export interface HistogramData {
  pairs: [number, number][];
  count: number;
  sum: number;
  max: number;
}

/** Latency histogram over non-negative values (the bench records microseconds). */
export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(value: number): void {
    const v = value < 0 ? 0 : value;
    this.counts[bucketOf(v)]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  merge(data: HistogramData): void {
    for (const [b, n] of data.pairs) this.counts[b]! += n;
    this.count += data.count;
    this.sum += data.sum;
    this.max = Math.max(this.max, data.max);
  }

  /** The p-th percentile (0..100), within one bucket's width; never above the exact max. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(valueOf(b), this.max);
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  toData(): HistogramData {
    const pairs: [number, number][] = [];
    this.counts.forEach((n, b) => {
      if (n > 0) pairs.push([b, n]);
    });
    return { pairs, count: this.count, sum: this.sum, max: this.max };
  }
}
