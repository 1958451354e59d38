// Done-when test of the datasets / transfer-learning step: an ImageFolder of real images
// (Fashion-MNIST Trouser vs Sneaker, upscaled, RGB PNG), DataLoaders with the chapter's
// ImageTransform, a resnet18 trunk loaded from a .safetensors file with loadPretrained, frozen,
// a new head (`model.fc = new Linear(512, 2)`), fine-tuned with trainModel on `simd`.
// Also: loadPretrained's sources (path, bytes, URL + cache, offline error, SHA-256).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, loadFashionMnist } from '../src/io/index.js';
import { resnet18, IMAGENET_MEAN, IMAGENET_STD } from '../src/models/index.js';
import { Linear } from '../src/nn/index.js';
import { DataLoader, ImageFolder } from '../src/data/index.js';
import { ImageTransform, resize } from '../src/transforms/index.js';
import {
  crossEntropyLoss, freeze, loadPretrained, replaceHead, stateDictToSafetensors, trainModel, unfreeze,
} from '../src/train/index.js';

const FMNIST = '/usr/share/datasets/fashion-mnist';
const root = mkdtempSync(join(tmpdir(), 'simdnet-tl-'));
const CLASSES: Record<number, string> = { 1: 'trouser', 7: 'sneaker' };
const SIZE = 32;
let pretrainedPath = '';
let pretrainedBytes = new Uint8Array();

test.before(async () => {
  assert.ok(await tf.setBackend('simd'), 'simd backend');
  // image folder: 60 train + 20 val per class, 28×28 gray → 56×56 RGB PNG (PIL bilinear upscale)
  const t0 = performance.now();
  const split = await loadFashionMnist(FMNIST, 'test');
  const count: Record<number, number> = { 1: 0, 7: 0 };
  for (let i = 0; i < split.n && (count[1] < 80 || count[7] < 80); i++) {
    const label = split.labels[i];
    if (!(label in CLASSES) || count[label] >= 80) continue;
    const phase = count[label] < 60 ? 'train' : 'val';
    const gray = split.images.subarray(i * 784, (i + 1) * 784);
    const rgb = new Uint8Array(784 * 3);
    for (let p = 0; p < 784; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = gray[p];
    const big = resize({ width: 28, height: 28, channels: 3, data: rgb }, 56);
    const dir = join(root, phase, CLASSES[label]);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${String(i).padStart(5, '0')}.png`), encodePng(56, 56, big.data));
    count[label]++;
  }
  // the "pretrained" trunk: a seeded resnet18 (ImageNet-shaped, 1000 classes) saved as safetensors
  const src = resnet18({ seed: 2024 });
  pretrainedBytes = stateDictToSafetensors(src, { model: 'resnet18', note: 'seeded trunk for the test' });
  src.dispose();
  pretrainedPath = join(root, 'resnet18-seeded.safetensors');
  writeFileSync(pretrainedPath, pretrainedBytes);
  console.log(`  setup (folder of 160 PNGs + ${(pretrainedBytes.length / 2 ** 20).toFixed(1)} MB weights): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

function sameParams(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  for (const [k, v] of a) {
    const w = b.get(k)!;
    if (w.length !== v.length) return false;
    const va = new Uint32Array(v.buffer, v.byteOffset, v.length), wa = new Uint32Array(w.buffer, w.byteOffset, w.length);
    for (let i = 0; i < va.length; i++) if (va[i] !== wa[i]) return false;
  }
  return true;
}

test('loadPretrained: path, bytes, SHA-256, URL with cache, unreachable URL without cache', async () => {
  const sha = createHash('sha256').update(pretrainedBytes).digest('hex');
  const m = resnet18({ seed: 1, initWeights: false });
  const r = await loadPretrained(m, pretrainedPath, { sha256: sha.toUpperCase() });
  assert.is(r.sha256, sha);
  assert.equal([r.missingKeys, r.unexpectedKeys], [[], []]);
  assert.is(r.metadata.model, 'resnet18');
  await loadPretrained(m, pretrainedBytes);
  try {
    await loadPretrained(m, pretrainedPath, { sha256: '00'.repeat(32) });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /SHA-256 mismatch/);
  }
  // unreachable URL (a port just freed on 127.0.0.1: connection refused), empty cache: clear error
  const cacheDir = join(root, 'cache');
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const closedPort = (probe.address() as { port: number }).port;
  await new Promise((ok) => probe.close(ok));
  try {
    await loadPretrained(m, `http://127.0.0.1:${closedPort}/weights/resnet18-seeded.safetensors`, { cacheDir });
    assert.unreachable();
  } catch (e) {
    const msg = (e as Error).message;
    assert.ok(msg.startsWith(`loadPretrained: cannot fetch http://127.0.0.1:${closedPort}/weights/resnet18-seeded.safetensors (`), msg);
    assert.match(msg, /ECONNREFUSED/);
    assert.match(msg, /no cached copy exists at .*resnet18-seeded\.safetensors/);
    console.log(`  offline error: ${msg}`);
  }
  // a local server: first load downloads into the cache, then the server is gone and the cache serves
  const server: Server = createServer((_, res) => res.end(Buffer.from(pretrainedBytes)));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/w/resnet18-seeded.safetensors`;
  const first = await loadPretrained(m, url, { cacheDir, sha256: sha });
  await new Promise((ok) => server.close(ok));
  assert.is(first.cached, false);
  assert.ok(existsSync(join(cacheDir, 'resnet18-seeded.safetensors')));
  const second = await loadPretrained(m, url, { cacheDir, sha256: sha });
  assert.is(second.cached, true);
  const third = await loadPretrained(m, new URL(url), { cacheDir, offline: true });
  assert.is(third.cached, true);
  // strict load into a model with another head fails; exclude drops the head
  const two = resnet18({ numClasses: 2, initWeights: false });
  try {
    await loadPretrained(two, pretrainedPath);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /size mismatch for fc\.weight/);
  }
  const partial = await loadPretrained(two, pretrainedPath, { strict: false, exclude: (k) => k.startsWith('fc.') });
  assert.equal(partial.missingKeys, ['fc.weight', 'fc.bias']);
  m.dispose();
  two.dispose();
});

test('replacing the head registers it; freeze/unfreeze; replaceHead', () => {
  const m = resnet18({ seed: 3 });
  freeze(m);
  assert.is(m.trainableParameters().length, 0);
  const old = m.fc;
  m.fc = new Linear(512, 2);
  old.dispose();
  assert.equal(m.trainableParameters().map((p) => p.shape), [[512, 2], [2]]);
  const sd = m.stateDict();
  assert.equal(sd['fc.weight'].shape, [2, 512]);
  assert.equal(Object.keys(sd).slice(-2), ['fc.weight', 'fc.bias']);
  assert.is(m.numParameters(), 11689512 - 1000 * 513 + 2 * 513);
  tf.dispose(Object.values(sd));
  const out = m.eval().call(tf.zeros([1, SIZE, SIZE, 3]));
  assert.equal(out.shape, [1, 2]);
  out.dispose();
  const h = replaceHead(m, 5);
  assert.is(m.fc, h);
  assert.equal(h.weight.shape, [512, 5]);
  unfreeze(m);
  assert.is(m.trainableParameters().length, m.parameters().length);
  m.dispose();
});

test('fine-tune a frozen resnet18 trunk + new head on an ImageFolder (simd): val acc >= 0.8, trunk bit-identical', async () => {
  const tr = new ImageTransform(SIZE, IMAGENET_MEAN, IMAGENET_STD);
  const trainSet = new ImageFolder(join(root, 'train'), tr.forPhase('train'));
  const valSet = new ImageFolder(join(root, 'val'), tr.forPhase('val'));
  assert.equal(trainSet.classes, ['sneaker', 'trouser']);
  assert.is(trainSet.length, 120);
  assert.is(valSet.length, 40);
  const train = new DataLoader(trainSet, { batchSize: 16, shuffle: true, seed: 0 });
  const val = new DataLoader(valSet, { batchSize: 20 });

  // reproducibility: same seed → identical batches (shuffle + RandomResizedCrop + flips)
  const first = async (l: DataLoader) => {
    const it = l[Symbol.asyncIterator]();
    const b = (await it.next()).value;
    await it.return!();
    const r = { x: Array.from(b.x.dataSync()), y: Array.from(b.y.dataSync()) };
    tf.dispose([b.x, b.y]);
    return r;
  };
  const mk = () => new DataLoader(new ImageFolder(join(root, 'train'), new ImageTransform(SIZE, IMAGENET_MEAN, IMAGENET_STD).forPhase('train')), { batchSize: 16, shuffle: true, seed: 5 });
  assert.equal(await first(mk()), await first(mk()));

  // loader throughput alone (decode + transform + collate)
  let t0 = performance.now();
  let n = 0;
  for await (const b of new DataLoader(trainSet, { batchSize: 16, shuffle: true, seed: 1 })) {
    n += b.x.shape[0];
    tf.dispose([b.x, b.y]);
  }
  const loaderIps = n / ((performance.now() - t0) / 1000);

  const model = resnet18({ initWeights: false });
  await loadPretrained(model, pretrainedPath);
  freeze(model);
  const old = model.fc;
  model.fc = new Linear(512, 2, { seed: 0 });
  old.dispose();
  const frozenBefore = new Map(model.namedParameters().filter(([k]) => !k.startsWith('fc.')).map(([k, p]) => [k, (p.dataSync() as Float32Array).slice()]));
  const headBefore = (model.fc.weight.dataSync() as Float32Array).slice();

  const optimizer = tf.train.momentum(0.01, 0.9);
  const lines: string[] = [];
  t0 = performance.now();
  const res = await trainModel(model, { train, val }, crossEntropyLoss, optimizer, 3, { log: (s) => lines.push(s), progress: false });
  const secs = (performance.now() - t0) / 1000;
  console.log(lines.map((l) => `    ${l}`).join('\n'));
  const trainIps = res.history.reduce((a, h) => a + h.train.numExamples, 0) / res.history.reduce((a, h) => a + h.train.seconds, 0);
  console.log(`  DataLoader (decode+transform+collate, 56×56 PNG → 32×32): ${loaderIps.toFixed(0)} images/s; ` +
    `training (frozen resnet18 trunk, batch 16, incl. loading): ${trainIps.toFixed(1)} images/s; trainModel ${secs.toFixed(1)} s`);

  assert.ok(res.bestAcc >= 0.8, `best val acc ${res.bestAcc}`);
  assert.ok(lines.some((l) => /^train Loss: \d+\.\d{4} Acc: \d\.\d{4}$/.test(l)) && lines.some((l) => /^val Loss: /.test(l)));
  const frozenAfter = new Map(model.namedParameters().filter(([k]) => !k.startsWith('fc.')).map(([k, p]) => [k, p.dataSync() as Float32Array]));
  assert.is(frozenAfter.size, 60);
  assert.ok(sameParams(frozenBefore, frozenAfter), 'frozen trunk parameters are bit-identical after training');
  assert.not.equal(Array.from(model.fc.weight.dataSync()), Array.from(headBefore), 'the head was trained');
  optimizer.dispose();
  model.dispose();
});

test.run();
