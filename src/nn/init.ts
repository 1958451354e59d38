/**
 * Parameter initialisation mirroring PyTorch's defaults, with a small seedable generator.
 *
 * Source: torch.nn.init (kaiming_uniform_, uniform_, _calculate_fan_in_and_fan_out) and the
 * `reset_parameters()` methods of torch.nn.Conv2d / torch.nn.Linear.
 *
 * Random numbers come from a deterministic 32-bit generator (mulberry32) running in JS, not from
 * tfjs' `randomUniform`, so a seeded model is bit-identical on every backend. The numbers do not
 * match PyTorch's generator (nothing could, short of reimplementing MT19937 + its sampling); the
 * *distribution* matches. Weights meant to match PyTorch are loaded with `loadStateDict`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A source of uniform floats in [0, 1). */
export interface Rng {
  /** Next uniform float in [0, 1). */
  next(): number;
}

/**
 * mulberry32: a tiny, fast, seedable 32-bit PRNG (period 2^32). Good enough for initialisation.
 * @param seed any finite number; it is truncated to 32 bits.
 */
export class SeededRng implements Rng {
  private state: number;
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`SeededRng: seed must be a finite number, got ${seed}`);
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

const mathRandom: Rng = { next: () => Math.random() };
let globalRng: Rng = mathRandom;

/**
 * Seeds the global generator used by every layer constructed afterwards without its own `seed`
 * (like `torch.manual_seed`). `manualSeed(null)` goes back to `Math.random`.
 */
export function manualSeed(seed: number | null): void {
  globalRng = seed == null ? mathRandom : new SeededRng(seed);
}

/**
 * Runs `fn` with the global generator seeded by `seed` (when not null/undefined), then restores
 * the previous generator, also on throw. Model factories use it for their `seed` option:
 * `withSeed(0, () => new LeNet())`. Synchronous only.
 */
export function withSeed<T>(seed: number | null | undefined, fn: () => T): T {
  if (seed == null) return fn();
  const saved = globalRng;
  globalRng = new SeededRng(seed);
  try {
    return fn();
  } finally {
    globalRng = saved;
  }
}

/** The generator a layer should use: its own seeded one if `seed` is given, else the global one. */
export function getRng(seed?: number | null): Rng {
  return seed == null ? globalRng : new SeededRng(seed);
}

/**
 * A float32 tensor of `shape` with entries drawn i.i.d. from U(low, high).
 * Mirrors torch.nn.init.uniform_.
 */
export function uniform(shape: number[], low: number, high: number, rng: Rng = globalRng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const span = high - low;
  for (let i = 0; i < n; i++) data[i] = low + span * rng.next();
  return tf.tensor(data, shape, 'float32');
}

/**
 * torch.nn.init.calculate_gain for 'leaky_relu' with negative slope `a`: sqrt(2 / (1 + a^2)).
 */
export function leakyReluGain(a: number): number {
  return Math.sqrt(2 / (1 + a * a));
}

/**
 * torch.nn.init.kaiming_uniform_(w, a, mode='fan_in', nonlinearity='leaky_relu'):
 * U(-b, b) with b = gain(a) * sqrt(3 / fanIn). With PyTorch's layer default a = sqrt(5) this is
 * b = 1 / sqrt(fanIn).
 * @param shape the tensor's shape in whatever layout the caller stores it (entries are i.i.d.,
 *   so layout does not change the distribution).
 * @param fanIn PyTorch's fan_in: in_channels/groups * kh * kw for conv, in_features for linear.
 */
export function kaimingUniform(shape: number[], fanIn: number, a = Math.sqrt(5), rng: Rng = globalRng): tf.Tensor {
  if (fanIn <= 0) throw new Error(`kaimingUniform: fanIn must be positive, got ${fanIn}`);
  const bound = leakyReluGain(a) * Math.sqrt(3 / fanIn);
  return uniform(shape, -bound, bound, rng);
}

/**
 * PyTorch's default bias initialisation for Conv/Linear: U(-1/sqrt(fanIn), 1/sqrt(fanIn))
 * (zeros when fanIn is 0, as in PyTorch).
 */
export function defaultBias(size: number, fanIn: number, rng: Rng = globalRng): tf.Tensor {
  if (fanIn <= 0) return tf.zeros([size]);
  const bound = 1 / Math.sqrt(fanIn);
  return uniform([size], -bound, bound, rng);
}
