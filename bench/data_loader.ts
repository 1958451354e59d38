/**
 * `node --import ./scripts/node-env.mjs bench/data_loader.ts [--rounds 2] [--per-class 60]`:
 * DataLoader throughput (decode + transform + collate, images/s) on the main thread and with
 * `workers: 1` and `2`, next to training throughput of the transfer-learning setup of
 * tests/transfer_learning.test.ts: an ImageFolder of Fashion-MNIST Trouser/Sneaker 56×56 RGB PNGs,
 * the chapter's train ImageTransform at 32×32 (RandomResizedCrop + flip + ToTensor + Normalize),
 * a frozen resnet18 with a new 2-class head, batch 16, SGD, on `simd`.
 *
 * Loader-only: passes over the train set with nothing consuming (batches disposed at once); the
 * three settings alternate round by round so that outside load hits them alike; the first pass of
 * each (worker start-up) is not timed. Training: one trainModel epoch per setting (train phase
 * images/s, loading included), and once from batches already in memory (compute only).
 * Prints os.loadavg() before and after: on a shared machine only the ratios in one run mean much.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../src/index';
import { loadavg, cpus, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng, loadFashionMnist } from '../src/io/index';
import { resnet18, IMAGENET_MEAN, IMAGENET_STD } from '../src/models/index';
import { DataLoader, ImageFolder } from '../src/data/index';
import { ImageTransform, resize } from '../src/transforms/index';
import { crossEntropyLoss, freeze, replaceHead, trainModel, type Batch } from '../src/train/index';
import { buildDecodeWorker } from '../scripts/build-decode-worker.mjs';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROUNDS = arg('rounds', 2), PER_CLASS = arg('per-class', 60), SIZE = 32, BATCH = 16;
const la = () => loadavg().map((v) => v.toFixed(2)).join(' ');

await buildDecodeWorker();
await tf.setBackend('simd');
console.log(`load average before: ${la()} (${cpus().length} CPUs), node ${process.version}`);

const root = mkdtempSync(join(tmpdir(), 'simdnet-bench-data-'));
const split = await loadFashionMnist('/usr/share/datasets/fashion-mnist', 'test');
const CLASSES: Record<number, string> = { 1: 'trouser', 7: 'sneaker' };
const count: Record<number, number> = { 1: 0, 7: 0 };
for (let i = 0; i < split.n && (count[1] < PER_CLASS + 8 || count[7] < PER_CLASS + 8); i++) {
  const label = split.labels[i];
  if (!(label in CLASSES) || count[label] >= PER_CLASS + 8) continue;
  const phase = count[label] < PER_CLASS ? 'train' : 'val';
  const gray = split.images.subarray(i * 784, (i + 1) * 784);
  const rgb = new Uint8Array(784 * 3);
  for (let p = 0; p < 784; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = gray[p];
  const big = resize({ width: 28, height: 28, channels: 3, data: rgb }, 56);
  mkdirSync(join(root, phase, CLASSES[label]), { recursive: true });
  writeFileSync(join(root, phase, CLASSES[label], `${i}.png`), encodePng(56, 56, big.data));
  count[label]++;
}
const transform = new ImageTransform(SIZE, IMAGENET_MEAN, IMAGENET_STD);
const trainSet = new ImageFolder(join(root, 'train'), transform.forPhase('train'));
const valSet = new ImageFolder(join(root, 'val'), transform.forPhase('val'));
console.log(`${trainSet.length} train PNGs 56×56 → RandomResizedCrop(${SIZE}) + flip + ToTensor + Normalize, batch ${BATCH}`);

// --- loader only -------------------------------------------------------------------------------
const settings = [0, 1, 2];
const loaders = settings.map((workers) => new DataLoader(trainSet, { batchSize: BATCH, shuffle: true, seed: 1, workers }));
async function pass(l: DataLoader): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for await (const b of l) {
    n += b.x.shape[0];
    tf.dispose([b.x, b.y]);
  }
  return n / ((performance.now() - t0) / 1000);
}
for (const l of loaders) await pass(l); // warm-up: worker start-up, JIT
const rates: number[][] = settings.map(() => []);
for (let r = 0; r < ROUNDS; r++) for (const k of settings.keys()) rates[k].push(await pass(loaders[k]));
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log('\nDataLoader alone (decode + transform + collate), images/s, median of rounds:');
for (const k of settings.keys()) {
  console.log(`  ${settings[k] === 0 ? 'main thread' : `workers: ${settings[k]}`}`.padEnd(16) + `${median(rates[k]).toFixed(0).padStart(6)}   (rounds: ${rates[k].map((v) => v.toFixed(0)).join(', ')})`);
}
for (const l of loaders) l.close();

// --- training ----------------------------------------------------------------------------------
const model = resnet18({ seed: 2024 });
freeze(model);
replaceHead(model, 2);
const quiet = { log: () => undefined, progress: false };
console.log(`\ntraining: frozen resnet18 (${model.numParameters(true)} trainable), ${SIZE}×${SIZE}, batch ${BATCH}, one epoch each:`);
for (const workers of settings) {
  const train = new DataLoader(trainSet, { batchSize: BATCH, shuffle: true, seed: 3, workers });
  const val = new DataLoader(valSet, { batchSize: BATCH, workers });
  const opt = tf.train.momentum(0.001, 0.9);
  const r = await trainModel(model, { train, val }, crossEntropyLoss, opt, 1, quiet);
  const h = r.history[0].train;
  console.log(`  ${workers === 0 ? 'main thread' : `workers: ${workers}`}`.padEnd(16) + `${(h.numExamples / h.seconds).toFixed(1).padStart(6)} images/s (loading included; loader busy ${train.stats.seconds.toFixed(1)} s of ${h.seconds.toFixed(1)} s)`);
  train.close();
  val.close();
  opt.dispose();
}
// compute only: the same batches, already in memory
const pre: Batch[] = [];
for await (const b of new DataLoader(trainSet, { batchSize: BATCH, shuffle: true, seed: 3 })) pre.push(b);
const inMemory = { length: pre.length, async *[Symbol.asyncIterator]() { for (const b of pre) yield { x: tf.clone(b.x), y: tf.clone(b.y) }; } };
const opt = tf.train.momentum(0.001, 0.9);
const r = await trainModel(model, { train: inMemory, val: new DataLoader(valSet, { batchSize: BATCH }) }, crossEntropyLoss, opt, 1, quiet);
const h = r.history[0].train;
console.log(`  in memory`.padEnd(16) + `${(h.numExamples / h.seconds).toFixed(1).padStart(6)} images/s (compute only: forward + backward of the head + SGD)`);
tf.dispose(pre.flatMap((b) => [b.x, b.y]));
opt.dispose();
model.dispose();
rmSync(root, { recursive: true, force: true });
console.log(`\nload average after: ${la()}`);
