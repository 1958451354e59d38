/**
 * The batch stream that training and evaluation consume (PyTorch's DataLoader, reduced to what
 * `train_model` uses).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng } from '../nn/init.js';

/** One mini-batch: images NHWC float32 [B, H, W, C] and int32 class labels [B]. */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/**
 * A re-iterable stream of batches: iterated once per epoch and phase (sync or async iterable),
 * plus `length` = number of batches per pass (for the progress bar; may be approximate).
 *
 * Ownership: by default the consumer (trainModel, evaluate, getPredictions) disposes each batch's
 * `x` and `y` after using it, so a loader should yield fresh tensors per batch. A stream that
 * yields the same tensors every pass (e.g. a plain array of batches) must be consumed with the
 * option `disposeBatches: false`.
 */
export type Batches = (AsyncIterable<Batch> | Iterable<Batch>) & { readonly length: number };

export interface InMemoryBatchesOptions {
  /** Reshuffle the examples at every pass (default false). */
  shuffle?: boolean;
  /** Seed for the shuffle (default: Math.random). */
  seed?: number;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
}

/**
 * Batches over tensors already in memory: `x` [N, ...] and `y` [N]. Each pass yields fresh
 * tensors (`tf.gather` of the pass's indices) that the consumer disposes; `x` and `y` stay owned
 * by the caller and must outlive the batches.
 * @throws if x and y disagree on N or batchSize is not a positive integer.
 */
export function inMemoryBatches(
  x: tf.Tensor,
  y: tf.Tensor,
  batchSize: number,
  opts: InMemoryBatchesOptions = {},
): Batches & Iterable<Batch> {
  const n = x.shape[0];
  if (y.shape[0] !== n) throw new Error(`inMemoryBatches: x has ${n} examples but y has ${y.shape[0]}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`inMemoryBatches: batchSize must be a positive integer, got ${batchSize}`);
  const numBatches = opts.dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  const rng = opts.seed != null ? new SeededRng(opts.seed) : { next: () => Math.random() };
  return {
    length: numBatches,
    *[Symbol.iterator](): Iterator<Batch> {
      const idx = Array.from({ length: n }, (_, i) => i);
      if (opts.shuffle) {
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(rng.next() * (i + 1));
          [idx[i], idx[j]] = [idx[j], idx[i]];
        }
      }
      for (let b = 0; b < numBatches; b++) {
        const sel = idx.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
        yield tf.tidy(() => {
          const ind = tf.tensor1d(sel, 'int32');
          return { x: tf.gather(x, ind), y: tf.gather(y, ind) };
        });
      }
    },
  };
}
