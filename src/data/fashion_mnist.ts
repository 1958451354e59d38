/**
 * Fashion-MNIST as tfjs batches for the LeNet-5 main job: uint8 NHW images → normalized
 * float32 NHWC tensors [B,28,28,1], labels int32 [B].
 *
 * Normalization uses the training set's pixel statistics (Zalando's Fashion-MNIST, 60k train
 * images: mean 0.2860, std 0.3530 on [0,1] pixels), like torchvision's
 * `transforms.Normalize((0.2860,), (0.3530,))` in the usual PyTorch recipes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch, Batches } from '../train/batches';
import type { MnistSplit } from '../io/idx';
import { SeededRng } from '../nn/init';

export const FASHION_MNIST_MEAN = 0.2860;
export const FASHION_MNIST_STD = 0.3530;

/**
 * Converts `count` images starting at `start` into a normalized float32 tensor [count,rows,cols,1]
 * ((x/255 − mean)/std). `flip[i]` mirrors image i horizontally (train-time augmentation).
 * @throws Error when the range is outside the split.
 */
export function imagesToTensor(split: Pick<MnistSplit, 'images' | 'rows' | 'cols' | 'n'>, indices: ArrayLike<number>,
    opts: { flip?: ArrayLike<boolean>; mean?: number; std?: number } = {}): tf.Tensor4D {
  const { rows, cols } = split;
  const mean = opts.mean ?? FASHION_MNIST_MEAN, std = opts.std ?? FASHION_MNIST_STD;
  const px = rows * cols;
  const out = new Float32Array(indices.length * px);
  const scale = 1 / (255 * std), shift = -mean / std;
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!(i >= 0 && i < split.n)) throw new Error(`imagesToTensor: index ${i} outside 0..${split.n - 1}`);
    const src = i * px, dst = b * px;
    const flip = opts.flip?.[b] ?? false;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const sc = flip ? cols - 1 - c : c;
        out[dst + r * cols + c] = split.images[src + r * cols + sc] * scale + shift;
      }
    }
  }
  return tf.tensor4d(out, [indices.length, rows, cols, 1]);
}

export interface MnistBatchOptions {
  batchSize?: number;
  shuffle?: boolean;
  /** Random horizontal flips (p = 0.5), for training. */
  augment?: boolean;
  seed?: number;
}

/**
 * Batches over a subset (`indices`) of a split; each epoch reshuffles when `shuffle`.
 * Yields fresh tensors per batch (trainModel disposes them).
 */
export function mnistBatches(split: MnistSplit, indices: Int32Array | number[], opts: MnistBatchOptions = {}): Batches {
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`mnistBatches: batchSize must be an integer >= 1, got ${batchSize}`);
  if (indices.length === 0) throw new Error('mnistBatches: no images selected (empty index list)');
  const rng = new SeededRng(opts.seed ?? 0);
  const order = Int32Array.from(indices);
  return {
    length: Math.ceil(order.length / batchSize),
    *[Symbol.iterator](): Iterator<Batch> {
      if (opts.shuffle) {
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(rng.next() * (i + 1));
          const t = order[i]; order[i] = order[j]; order[j] = t;
        }
      }
      for (let s = 0; s < order.length; s += batchSize) {
        const sel = order.subarray(s, Math.min(order.length, s + batchSize));
        const flip = opts.augment ? Array.from(sel, () => rng.next() < 0.5) : undefined;
        const x = imagesToTensor(split, sel, { flip });
        const y = tf.tensor1d(Array.from(sel, i => split.labels[i]), 'int32');
        yield { x, y };
      }
    },
  };
}

/** Splits 0..n−1 into a shuffled train part and the last `valCount` as validation (seeded). */
export function trainValSplit(n: number, valCount: number, seed = 0): { train: Int32Array; val: Int32Array } {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new SeededRng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
  }
  return { train: idx.slice(0, n - valCount), val: idx.slice(n - valCount) };
}
