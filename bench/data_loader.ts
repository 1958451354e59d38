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
 * each (worker start-up) is not timed. Training: after a warm-up epoch, rounds of one trainModel
 * epoch per setting (train-phase images/s, loading included) and one from batches already in
 * memory (compute only), alternating. Options: --rounds, --train-rounds, --per-class, --prefetch
 * (DataLoader prefetch depth, default 1), --image N (stored PNG side, default 56), --crop N
 * (transform size, default 32), --no-train (loader only).
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
const ROUNDS = arg('rounds', 2), PER_CLASS = arg('per-class', 60), PREFETCH = arg('prefetch', 1), SIZE = arg('crop', 32), IMG = arg('image', 56), BATCH = 16;
const TRAIN = !process.argv.includes('--no-train');
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
  const big = resize({ width: 28, height: 28, channels: 3, data: rgb }, IMG);
  mkdirSync(join(root, phase, CLASSES[label]), { recursive: true });
  writeFileSync(join(root, phase, CLASSES[label], `${i}.png`), encodePng(IMG, IMG, big.data));
  count[label]++;
}
const transform = new ImageTransform(SIZE, IMAGENET_MEAN, IMAGENET_STD);
const trainSet = new ImageFolder(join(root, 'train'), transform.forPhase('train'));
const valSet = new ImageFolder(join(root, 'val'), transform.forPhase('val'));
console.log(`${trainSet.length} train PNGs ${IMG}×${IMG} → RandomResizedCrop(${SIZE}) + flip + ToTensor + Normalize, batch ${BATCH}, prefetch ${PREFETCH}`);

// --- loader only -------------------------------------------------------------------------------
const settings = [0, 1, 2];
const loaders = settings.map((workers) => new DataLoader(trainSet, { batchSize: BATCH, shuffle: true, seed: 1, workers, prefetch: PREFETCH }));
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

if (TRAIN) {
// --- training ----------------------------------------------------------------------------------
const model = resnet18({ seed: 2024 });
freeze(model);
replaceHead(model, 2);
const quiet = { log: () => undefined, progress: false };
// compute only: the same batches, already in memory
const pre: Batch[] = [];
for await (const b of new DataLoader(trainSet, { batchSize: BATCH, shuffle: true, seed: 3 })) pre.push(b);
const inMemory = { length: pre.length, async *[Symbol.asyncIterator]() { for (const b of pre) yield { x: tf.clone(b.x), y: tf.clone(b.y) }; } };
const TRAIN_ROUNDS = arg('train-rounds', 2);
console.log(`\ntraining: frozen resnet18 (${model.numParameters(true)} trainable), ${SIZE}×${SIZE}, batch ${BATCH}; one warm-up epoch, ` +
    `then ${TRAIN_ROUNDS} rounds of one epoch per setting (alternating), train-phase images/s:`);
// one train/val loader pair per setting, kept across epochs (as in real training: the decode
// workers start once), started by one untimed pass before the timed epochs
const pairs = new Map<number, { train: DataLoader; val: DataLoader }>();
for (const workers of settings) {
  const p = { train: new DataLoader(trainSet, { batchSize: BATCH, shuffle: true, seed: 3, workers, prefetch: PREFETCH }), val: new DataLoader(valSet, { batchSize: BATCH, workers }) };
  await pass(p.train);
  await pass(p.val);
  pairs.set(workers, p);
}
async function epoch(workers: number | 'memory'): Promise<number> {
  const { train, val } = workers === 'memory' ? { train: inMemory, val: pairs.get(0)!.val } : pairs.get(workers)!;
  const opt = tf.train.momentum(0.001, 0.9);
  const r = await trainModel(model, { train, val }, crossEntropyLoss, opt, 1, quiet);
  opt.dispose();
  const h = r.history[0].train;
  return h.numExamples / h.seconds;
}
await epoch('memory');
const trainSettings: Array<number | 'memory'> = ['memory', 0, 1, 2];
const trainRates: number[][] = trainSettings.map(() => []);
for (let r = 0; r < TRAIN_ROUNDS; r++) for (const k of trainSettings.keys()) trainRates[k].push(await epoch(trainSettings[k]));
for (const k of trainSettings.keys()) {
  const w = trainSettings[k];
  const label = w === 'memory' ? 'in memory' : w === 0 ? 'main thread' : `workers: ${w}`;
  console.log(`  ${label}`.padEnd(16) + `${median(trainRates[k]).toFixed(1).padStart(6)}   (rounds: ${trainRates[k].map((v) => v.toFixed(1)).join(', ')})` +
      (w === 'memory' ? '  compute only: batches already collated' : '  loading included'));
}
for (const p of pairs.values()) { p.train.close(); p.val.close(); }
tf.dispose(pre.flatMap((b) => [b.x, b.y]));
model.dispose();
}
rmSync(root, { recursive: true, force: true });
console.log(`\nload average after: ${la()}`);
