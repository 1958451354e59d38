/**
 * torch.utils.data.DataLoader for image classification: batches of NHWC float32 images and int32
 * labels, in the `Batches` shape that src/train's trainModel / evaluate consume.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../train/batches.js';
import { SeededRng, type Rng } from '../nn/init.js';
import type { HwcTensor } from '../transforms/transforms.js';
import type { ImageU8 } from '../io/image.js';
import { ImageListDataset, type Dataset, type Sample } from './dataset.js';
import { DecodePool } from './decode_pool.js';
import { transformSpec, type TransformSpec } from '../transforms/spec.js';

/** What a DataLoader can collate: HWC float32 data, a uint8 image (scaled to [0,1]), or a rank-3 tf.Tensor. */
export type CollatableImage = HwcTensor | ImageU8 | tf.Tensor3D;

export interface DataLoaderOptions {
  /** Examples per batch, default 1. */
  batchSize?: number;
  /** Reshuffle at every pass (epoch), default false. */
  shuffle?: boolean;
  /**
   * Seed for shuffling and for the per-example generators of random transforms (default: a
   * random seed drawn once). Pass k of a loader with seed s is the same for every loader with
   * seed s, whatever the prefetch depth.
   */
  seed?: number;
  /** Drop the last incomplete batch, default false. */
  dropLast?: boolean;
  /** Batches loaded ahead of the one being consumed, default 1 (0: load on demand). */
  prefetch?: number;
  /**
   * Decode workers (default 0: decode + transform on the main thread). With n > 0 and an
   * {@link ImageListDataset}/ImageFolder whose transform is absent or built from the
   * torchvision-named transforms (Compose, Resize, CenterCrop, RandomResizedCrop,
   * RandomHorizontalFlip, ToTensor, Normalize, ImageTransform phases; src/transforms/spec.ts),
   * n Node `worker_threads` / Web Workers decode and transform the images, each sample with the
   * same per-sample seed as on the main thread, so batches are bit-identical. Any other dataset or
   * a custom JS transform stays on the main thread (`offThread` tells which).
   */
  workers?: number;
  /** The decode worker script (default: `simdnet.decode-worker.cjs` / `.js` next to the bundle). */
  workerUrl?: string | URL;
}

/** Statistics of a loader's loading work (decode + transform + collate), cumulative. */
export interface LoaderStats {
  images: number;
  /**
   * Sum over batches of the wall time from starting a batch's load to its collated tensors. With
   * prefetch the loads overlap the consumer's work, so this is an upper bound of the loading cost
   * (measure a pass without a consumer for decode+transform images/s).
   */
  seconds: number;
}

function mix32(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * torch `DataLoader(dataset, batch_size, shuffle, drop_last)` over a {@link Dataset} of
 * `{x, y}` samples; usable wherever src/train wants `Batches`. Each pass (one `for await`) yields `{x, y}` with x NHWC float32
 * `[B, H, W, C]` (all samples must share H, W, C) and y int32 `[B]`; fresh tensors that the
 * consumer (trainModel) disposes. `length` is the number of batches per pass.
 *
 * Prefetching: while the consumer works on batch k, the loading of batches k+1..k+prefetch has
 * already been started as promises (file reads are asynchronous, decode + transform run on the
 * main thread whenever the consumer awaits, e.g. on `loss.data()`). With `workers: n` (and a
 * describable transform, see {@link DataLoaderOptions.workers}) decode + transform run in n
 * worker threads, in parallel with the consumer; otherwise the CPU work is pipelined on the main
 * thread, not parallel.
 *
 * Reproducibility: pass p uses the permutation and per-example generators derived from
 * `(seed, p, index)`, so the same seed gives the same batches, including random augmentation.
 */
export class DataLoader<X extends CollatableImage = HwcTensor> implements AsyncIterable<Batch> {
  /** Examples per batch. */
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly prefetch: number;
  /** Passes started so far. */
  epoch = 0;
  /** Cumulative load statistics (for images/s). */
  readonly stats: LoaderStats = { images: 0, seconds: 0 };
  /** Decode workers asked for (0: main thread). */
  readonly workers: number;
  private readonly workerUrl?: string | URL;
  private readonly spec: TransformSpec | null | undefined;
  private pool: DecodePool | null = null;

  constructor(readonly dataset: Dataset<Sample<X>>, opts: DataLoaderOptions = {}) {
    this.batchSize = opts.batchSize ?? 1;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0)) throw new Error(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    this.prefetch = opts.prefetch ?? 1;
    if (!(Number.isInteger(this.prefetch) && this.prefetch >= 0)) throw new Error(`DataLoader: prefetch must be a non-negative integer, got ${opts.prefetch}`);
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.seed = (opts.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
    this.workers = opts.workers ?? 0;
    if (!(Number.isInteger(this.workers) && this.workers >= 0)) throw new Error(`DataLoader: workers must be a non-negative integer, got ${opts.workers}`);
    this.workerUrl = opts.workerUrl;
    const ds = dataset instanceof ImageListDataset ? dataset : undefined;
    this.spec = ds ? (ds.transform ? transformSpec(ds.transform) : null) : undefined;
  }

  /** True when decode + transform run in worker threads (see `workers`). */
  get offThread(): boolean {
    return this.workers > 0 && this.spec !== undefined;
  }

  /** Terminates the decode workers (a later pass starts new ones). No-op without workers. */
  close(): void {
    this.pool?.close();
    this.pool = null;
  }

  /** Batches per pass. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The example order of pass `epoch` (0-based). */
  order(epoch: number): number[] {
    const n = this.dataset.length;
    const idx = Array.from({ length: n }, (_, i) => i);
    if (this.shuffle) {
      const rng = new SeededRng(mix32(this.seed, epoch));
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
    }
    return idx;
  }

  /** The seed of {@link exampleRng}`(epoch, index)` (what a decode worker gets). */
  exampleSeed(epoch: number, index: number): number {
    return mix32(mix32(this.seed ^ 0x5bd1e995, epoch), index);
  }

  /** The generator given to the dataset for example `index` in pass `epoch`. */
  exampleRng(epoch: number, index: number): Rng {
    return new SeededRng(this.exampleSeed(epoch, index));
  }

  /** Example `i` through the decode workers: bytes read here, decode + transform there. */
  private async getOffThread(i: number, epoch: number): Promise<Sample<X>> {
    const ds = this.dataset as unknown as ImageListDataset<X>;
    const bytes = await ds.readBytes(i);
    this.pool ??= new DecodePool(this.workers, this.workerUrl);
    const { path, label } = ds.samples[i];
    try {
      return { x: (await this.pool.run(bytes, this.spec!, this.exampleSeed(epoch, i))) as X, y: label };
    } catch (e) {
      throw new Error(`${ds.constructor.name}: cannot load ${path}: ${(e as Error).message}`);
    }
  }

  /** Loads and collates the examples `indices` of pass `epoch` into one batch (the caller owns it). */
  async loadBatch(indices: readonly number[], epoch: number): Promise<Batch> {
    const t0 = now();
    const samples = await Promise.all(indices.map((i) => this.offThread
      ? this.getOffThread(i, epoch)
      : this.dataset.get(i, this.exampleRng(epoch, i))));
    const batch = collate(samples);
    this.stats.images += indices.length;
    this.stats.seconds += (now() - t0) / 1000;
    return batch;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    const epoch = this.epoch++;
    const order = this.order(epoch);
    const nb = this.length;
    const slice = (b: number) => order.slice(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
    const pending: Array<Promise<Batch>> = [];
    let next = 0;
    const fill = (depth: number) => {
      while (next < nb && pending.length < depth) {
        const p = this.loadBatch(slice(next++), epoch);
        p.catch(() => undefined); // surfaced when awaited
        pending.push(p);
      }
    };
    try {
      for (;;) {
        fill(1); // the batch to hand over next
        if (pending.length === 0) break;
        const batch = await pending.shift()!;
        fill(this.prefetch); // start loading ahead before handing this batch over
        yield batch;
      }
    } finally {
      // consumer stopped early: dispose batches loaded ahead
      for (const p of pending) p.then((b) => tf.dispose([b.x, b.y]), () => undefined);
    }
  }
}

/**
 * torch's `default_collate` for image classification: stacks samples into x NHWC float32
 * [B, H, W, C] and y int32 [B]. uint8 images are scaled by 1/255; tf.Tensor samples are
 * disposed (they are per-example intermediates).
 * @throws if the batch is empty or samples differ in shape.
 */
export function collate(samples: ReadonlyArray<Sample<CollatableImage>>): Batch {
  if (samples.length === 0) throw new Error('collate: empty batch');
  const shapes = samples.map(({ x }) => shapeOf(x));
  const [h, w, c] = shapes[0];
  const per = h * w * c;
  const out = new Float32Array(samples.length * per);
  samples.forEach(({ x }, b) => {
    const s = shapes[b];
    if (s[0] !== h || s[1] !== w || s[2] !== c) throw new Error(`collate: sample ${b} has shape [${s.join(', ')}], sample 0 has [${h}, ${w}, ${c}]`);
    if (x instanceof tf.Tensor) out.set(x.dataSync() as Float32Array, b * per); // disposed below
    else if ('shape' in x) out.set(x.data, b * per);
    else for (let i = 0; i < per; i++) out[b * per + i] = x.data[i] / 255;
  });
  for (const { x } of samples) if (x instanceof tf.Tensor) x.dispose();
  const y = Int32Array.from(samples, (s) => s.y);
  return { x: tf.tensor4d(out, [samples.length, h, w, c], 'float32'), y: tf.tensor1d(y, 'int32') };
}

function shapeOf(x: CollatableImage): [number, number, number] {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 3) throw new Error(`collate: tensor samples must be rank 3 [H, W, C], got [${x.shape.join(', ')}]`);
    return [x.shape[0], x.shape[1], x.shape[2]] as [number, number, number];
  }
  if ('shape' in x) return x.shape;
  return [x.height, x.width, x.channels];
}
