/**
 * The main job (`npm start` = `simdnet classify`): LeNet-5 classifies Fashion-MNIST images on
 * the `simd` backend and reports accuracy, per-class accuracy, the most confident mistakes and
 * throughput, next to the same run on tfjs `cpu`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { lenet5, LeNet5 } from '../models/lenet';
import { FASHION_MNIST_CLASSES, loadFashionMnist, loadIdx, MnistSplit } from '../io/idx';
import { decodeImage, toGrayscale } from '../io/image';
import { imagesToTensor, FASHION_MNIST_MEAN, FASHION_MNIST_STD } from '../data/fashion_mnist';
import { useBackend } from './backends';
import { readWeightsFile } from './files';

const asset = (name: string) => fileURLToPath(new URL(`../../assets/${name}`, import.meta.url));
export const DEFAULT_WEIGHTS = asset('lenet5-fashion-mnist.safetensors');
export const SAMPLE_IMAGES = asset('fashion-mnist-sample-images-idx3-ubyte.gz');
export const SAMPLE_LABELS = asset('fashion-mnist-sample-labels-idx1-ubyte.gz');

/** Loads LeNet-5 weights from a .safetensors file (PyTorch keys/layouts), strict. */
export async function loadLenet5(path: string): Promise<{ model: LeNet5; meta: Record<string, string> }> {
  const file = await readWeightsFile(path);
  const model = lenet5();
  const dict: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of file.tensors) dict[k] = { shape: t.shape, data: t.data as Float32Array };
  model.loadStateDict(dict, { strict: true });
  model.eval();
  return { model, meta: file.metadata };
}

/** The embedded 1,000-image test sample, or the full test split of an IDX directory. */
export async function loadTestImages(dataDir?: string): Promise<{ split: MnistSplit; source: string }> {
  if (dataDir) return { split: await loadFashionMnist(dataDir, 'test'), source: `${dataDir} (test split)` };
  const [im, lb] = await Promise.all([loadIdx(SAMPLE_IMAGES), loadIdx(SAMPLE_LABELS)]);
  const [n, rows, cols] = im.shape;
  return { split: { images: im.data as Uint8Array, labels: lb.data as Uint8Array, n, rows, cols }, source: 'embedded sample' };
}

/** Softmax probabilities [n,10] for all images, batched; returns them and the wall time in ms. */
export function predictAll(model: LeNet5, split: MnistSplit, batchSize = 256): { probs: Float32Array; ms: number } {
  const probs = new Float32Array(split.n * 10);
  const t0 = performance.now();
  for (let s = 0; s < split.n; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, split.n - s) }, (_, i) => s + i);
    const p = tf.tidy(() => tf.softmax(model.forward(imagesToTensor(split, idx))));
    probs.set(p.dataSync(), s * 10);
    p.dispose();
  }
  return { probs, ms: performance.now() - t0 };
}

function argmax(p: Float32Array, i: number): number {
  let best = 0;
  for (let c = 1; c < 10; c++) if (p[i * 10 + c] > p[i * 10 + best]) best = c;
  return best;
}

export interface ClassifyOptions { backend: string; compare?: string; weights: string; data?: string; image?: string[]; }

/** Runs the main job and prints the report. */
export async function classifyFashion(opts: ClassifyOptions): Promise<void> {
  const backend = await useBackend(opts.backend);
  const { model, meta } = await loadLenet5(opts.weights);
  if (opts.image?.length) {
    for (const path of opts.image) await classifyImageFile(model, path);
    model.dispose();
    return;
  }
  const { split, source } = await loadTestImages(opts.data);
  console.log(`simdnet · LeNet-5 on Fashion-MNIST · ${split.n} images (${source}) · weights ${opts.weights}`);
  if (meta.test_accuracy) console.log(`  weights: ${meta.epochs ?? '?'} epochs, best val acc ${meta.best_val_accuracy}, full test acc ${meta.test_accuracy}`);
  predictAll(model, split);  // warm-up (wasm tier-up, packing)
  const { probs, ms } = predictAll(model, split);
  const pred = Array.from({ length: split.n }, (_, i) => argmax(probs, i));
  const correct = pred.filter((p, i) => p === split.labels[i]).length;
  console.log(`\nbackend ${backend}: accuracy ${(correct / split.n).toFixed(4)} (${correct}/${split.n}), ` +
      `${(split.n / (ms / 1000)).toFixed(0)} images/s (${ms.toFixed(1)} ms)`);
  console.log('\nper-class accuracy');
  for (let c = 0; c < 10; c++) {
    const of = pred.map((p, i) => [p, split.labels[i]]).filter(([, l]) => l === c);
    const ok = of.filter(([p, l]) => p === l).length;
    console.log(`  ${FASHION_MNIST_CLASSES[c].padEnd(12)} ${(ok / Math.max(1, of.length)).toFixed(3)}  (${ok}/${of.length})`);
  }
  const mistakes = pred.map((p, i) => ({ i, p, conf: probs[i * 10 + p] })).filter(m => m.p !== split.labels[m.i])
      .sort((a, b) => b.conf - a.conf).slice(0, 5);
  console.log('\nfive most confident mistakes');
  for (const m of mistakes) {
    console.log(`  image ${String(m.i).padStart(5)}: true ${FASHION_MNIST_CLASSES[split.labels[m.i]].padEnd(12)} ` +
        `predicted ${FASHION_MNIST_CLASSES[m.p].padEnd(12)} p=${m.conf.toFixed(3)}`);
  }
  if (opts.compare && opts.compare !== backend) {
    await useBackend(opts.compare);
    predictAll(model, split);
    const other = predictAll(model, split);
    let maxDiff = 0, same = 0;
    for (let i = 0; i < split.n; i++) {
      if (argmax(other.probs, i) === pred[i]) same++;
      for (let c = 0; c < 10; c++) maxDiff = Math.max(maxDiff, Math.abs(other.probs[i * 10 + c] - probs[i * 10 + c]));
    }
    console.log(`\nbackend ${opts.compare}: ${(split.n / (other.ms / 1000)).toFixed(0)} images/s (${other.ms.toFixed(1)} ms); ` +
        `${backend} is ${(other.ms / ms).toFixed(1)}× faster; same predictions ${same}/${split.n}, max |Δp| ${maxDiff.toExponential(2)}`);
    await useBackend(backend);
  }
  model.dispose();
}

/**
 * Classifies a user's PNG/JPEG: grayscale, inverted when the background is light (Fashion-MNIST
 * items are light on black), box-downsampled and bilinearly resized to 28×28, normalized.
 */
export async function classifyImageFile(model: LeNet5, path: string): Promise<number[]> {
  let img;
  try {
    img = toGrayscale(decodeImage(new Uint8Array(await readFile(path))));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const { width: w, height: h, data } = img;
  let border = 0, nb = 0;
  for (let x = 0; x < w; x++) { border += data[x] + data[(h - 1) * w + x]; nb += 2; }
  for (let y = 0; y < h; y++) { border += data[y * w] + data[y * w + w - 1]; nb += 2; }
  const invert = border / nb > 127;
  const probs = tf.tidy(() => {
    let x = tf.tensor4d(Float32Array.from(data, v => (invert ? 255 - v : v) / 255), [1, h, w, 1]);
    const f = Math.floor(Math.min(h, w) / 28);
    if (f > 1) x = tf.avgPool(x, f, f, 'valid');
    x = tf.image.resizeBilinear(x, [28, 28], false, true);
    x = x.sub(FASHION_MNIST_MEAN).div(FASHION_MNIST_STD);
    return tf.softmax(model.forward(x));
  });
  const p = Array.from(probs.dataSync());
  probs.dispose();
  const order = p.map((v, c) => [v, c]).sort((a, b) => b[0] - a[0]).slice(0, 3);
  console.log(`${path}: ${order.map(([v, c]) => `${FASHION_MNIST_CLASSES[c]} ${v.toFixed(3)}`).join(', ')}` +
      (invert ? ' (inverted: light background)' : ''));
  return p;
}
