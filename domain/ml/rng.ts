/**
 * Small seeded PRNG (mulberry32) and helpers. Everything random in `domain/ml` goes through this so a seed
 * reproduces a model byte for byte; `Math.random` is never used.
 */

/** Keeps a 32-bit seed; non-integer or huge inputs are folded so any finite number is a usable seed. */
export function normaliseSeed(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  return Math.trunc(seed) >>> 0;
}

/**
 * Derives an independent-looking seed for stream `index` of a base seed (splitmix32-style finaliser).
 * Per-tree seeds come from here, which is what makes a forest identical whatever the thread count.
 */
export function deriveSeed(seed: number, index: number): number {
  let z = (normaliseSeed(seed) + Math.imul(normaliseSeed(index) + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A bare `() => number` in [0, 1) over the same generator, for callers that only need uniform draws. */
export function mulberry32(seed: number): () => number {
  const rng = new SeededRng(seed);
  return () => rng.next();
}

/** Anything indexable and writable: plain arrays and typed arrays. */
export interface MutableList<E> {
  length: number;
  [index: number]: E;
}

export class SeededRng {
  private state: number;

  constructor(seed: number) {
    this.state = normaliseSeed(seed);
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). The bias of the multiply-shift is below 2^-32 * n, irrelevant here. */
  intBelow(n: number): number {
    if (!(n >= 1)) throw new RangeError(`intBelow needs n >= 1, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Standard normal draw (Box-Muller; one value per call keeps the stream easy to reason about). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<L extends MutableList<E>, E = L[number]>(items: L): L {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.intBelow(i + 1);
      const tmp = items[i] as E;
      items[i] = items[j] as E;
      items[j] = tmp;
    }
    return items;
  }

  /** `count` indices drawn uniformly with replacement from [0, n). */
  sampleWithReplacement(n: number, count: number = n): Uint32Array {
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.intBelow(n);
    return out;
  }
}

export function createRng(seed: number): SeededRng {
  return new SeededRng(seed);
}
