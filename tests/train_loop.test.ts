// Training: gradients through the layers, lenet5 learning a separable toy task, trainModel
// (history, best weights, logging, hooks, frozen params), and no tensor leaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildSync } from 'esbuild';
import { createRequire } from 'node:module';
import { lenet5 } from '../src/models/index.js';
import {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  SeededRng,
  disposeStateDict,
} from '../src/nn/index.js';
import {
  crossEntropyLoss,
  evaluate,
  gradientsRegistered,
  inMemoryBatches,
  trainModel,
  type BatchInfo,
} from '../src/train/index.js';
import { maxAbsDiff } from './helpers';

/**
 * tfjs-core registers gradients only through its ES-module side-effect file. Under the project
 * runner (scripts/node-env.mjs: tfjs loaded as ES modules) importing it works, and importing
 * src/index.ts does it anyway. Under plain `node --import tsx` tfjs-core is its CommonJS bundle
 * and that file cannot be imported (extension-less imports), so bundle it with esbuild (a
 * devDependency) and evaluate it once; the copy registers into tfjs' global registries.
 */
async function registerTfjsGradientsForNode(): Promise<void> {
  if (gradientsRegistered()) return;
  try {
    await import('@tensorflow/tfjs-core/dist/register_all_gradients' as string);
  } catch {
    /* plain Node: fall through to the bundle */
  }
  if (gradientsRegistered()) return;
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const out = buildSync({ entryPoints: [entry], bundle: true, format: 'cjs', platform: 'node', write: false, logLevel: 'silent' });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, require);
}
await registerTfjsGradientsForNode();

test.before(async () => {
  await tf.setBackend('cpu');
});

/** Deterministic test input in [-1, 1) (not tf.random*: its seedrandom import is environment-dependent). */
function rand(shape: number[], seed: number): tf.Tensor {
  const r = new SeededRng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.next() * 2 - 1), shape);
}

/**
 * 4-class toy images [N, size, size, 1]: a bright square (size/3.5 wide) in the quadrant given by
 * the label, on uniform noise. Linearly separable.
 */
function quadrantData(n: number, seed: number, size = 28): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const r = new SeededRng(seed);
  const img = new Float32Array(n * size * size);
  const labels = new Int32Array(n);
  const sq = Math.round(size / 3.5), half = size / 2;
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c;
    const oy = (c < 2 ? 0 : half) + Math.floor((half - sq) / 2);
    const ox = (c % 2 === 0 ? 0 : half) + Math.floor((half - sq) / 2);
    const base = i * size * size;
    for (let p = 0; p < size * size; p++) img[base + p] = 0.2 * r.next();
    for (let dy = 0; dy < sq; dy++) for (let dx = 0; dx < sq; dx++) img[base + (oy + dy) * size + ox + dx] += 1;
  }
  return { x: tf.tensor4d(img, [n, size, size, 1]), y: tf.tensor1d(labels, 'int32') };
}

/**
 * A tiny CNN for the trainModel tests (tfjs-cpu's Conv2DBackpropFilter is slow, LeNet-5 would
 * take minutes): [N,8,8,1] -> conv 3x3 (4) -> BN -> ReLU -> pool 2 -> flatten -> Linear(64, 4).
 */
class TinyNet extends Module {
  conv = new Conv2d(1, 4, 3, { padding: 1, seed: 21 });
  bn = new BatchNorm2d(4);
  relu = new ReLU();
  pool = new MaxPool2d(2);
  flatten = new Flatten();
  fc = new Linear(4 * 4 * 4, 4, { seed: 22 });
  forward(x: tf.Tensor): tf.Tensor {
    return this.fc.forward(this.flatten.forward(this.pool.forward(this.relu.forward(this.bn.forward(this.conv.forward(x))))));
  }
}

test('BatchNorm2d training gradient equals the gradient of the explicit formula', () => {
  const bn = new BatchNorm2d(3);
  const w = tf.tensor1d([1.5, -0.5, 2]);
  const b = tf.tensor1d([0.1, 0.2, 0.3]);
  const z = tf.zeros([3]), o = tf.ones([3]), nb = tf.scalar(0, 'int32');
  bn.loadStateDict({ weight: w, bias: b, running_mean: z, running_var: o, num_batches_tracked: nb });
  const x = rand([2, 3, 2, 3], 1);
  const r = rand([2, 3, 2, 3], 2);
  const g1 = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(bn.forward(xx), r)))(x);
  const g2 = tf.grad((xx: tf.Tensor) => {
    const m = tf.mean(xx, [0, 1, 2]);
    const v = tf.mean(tf.square(tf.sub(xx, m)), [0, 1, 2]);
    const y = tf.add(tf.mul(tf.div(tf.sub(xx, m), tf.sqrt(tf.add(v, 1e-5))), w), b);
    return tf.sum(tf.mul(y, r));
  })(x);
  assert.ok(maxAbsDiff(g1.dataSync(), g2.dataSync()) < 1e-4, `diff ${maxAbsDiff(g1.dataSync(), g2.dataSync())}`);
  tf.dispose([w, b, z, o, nb, x, r, g1, g2]);
  bn.dispose();
});

test('AvgPool2d with padding: gradient agrees with its forward (count_include_pad both ways)', () => {
  for (const countIncludePad of [true, false]) {
    const pool = new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad });
    const x = rand([1, 5, 5, 2], 3);
    const g = tf.grad((xx: tf.Tensor) => tf.sum(pool.forward(xx)))(x);
    // numeric gradient of sum(pool(x)) w.r.t. a corner element (most affected by padding)
    const eps = 1e-2;
    const base = Float32Array.from(x.dataSync());
    const f = (d: Float32Array) => tf.tidy(() => tf.sum(pool.forward(tf.tensor4d(d, [1, 5, 5, 2]))).dataSync()[0]);
    const plus = base.slice(); plus[0] += eps;
    const minus = base.slice(); minus[0] -= eps;
    const numeric = (f(plus) - f(minus)) / (2 * eps);
    assert.ok(Math.abs(g.dataSync()[0] - numeric) < 1e-3, `countIncludePad=${countIncludePad}: ${g.dataSync()[0]} vs ${numeric}`);
    tf.dispose([x, g]);
  }
});

test('Conv2d with explicit padding and stride: weight gradient matches a numeric estimate', () => {
  const conv = new Conv2d(2, 3, 3, { stride: 2, padding: [1, 2], bias: false, seed: 5 });
  const x = rand([1, 6, 5, 2], 4);
  const g = tf.grad((w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, [[0, 0], [1, 1], [2, 2], [0, 0]]))))(conv.weight);
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(conv.forward(x))) as tf.Scalar, [conv.weight]);
  const gw = grads[conv.weight.name];
  assert.ok(maxAbsDiff(gw.dataSync(), g.dataSync()) < 1e-4);
  const eps = 1e-2;
  const w0 = Float32Array.from(conv.weight.dataSync());
  const at = (d: Float32Array) => {
    conv.weight.assign(tf.tensor4d(d, conv.weight.shape as [number, number, number, number]));
    return tf.tidy(() => tf.sum(tf.square(conv.forward(x))).dataSync()[0]);
  };
  for (const idx of [0, 7, 31]) {
    const p = w0.slice(); p[idx] += eps;
    const m = w0.slice(); m[idx] -= eps;
    const numeric = (at(p) - at(m)) / (2 * eps);
    assert.ok(Math.abs(gw.dataSync()[idx] - numeric) < 2e-2 * Math.max(1, Math.abs(numeric)), `idx ${idx}: ${gw.dataSync()[idx]} vs ${numeric}`);
  }
  tf.dispose([x, g, gw]);
  conv.dispose();
});

test('lenet5: a few optimizer steps on a separable toy set lower the loss', () => {
  const model = lenet5({ numClasses: 4, seed: 0 });
  const { x, y } = quadrantData(4, 1); // one image per class (tfjs-cpu conv backprop is slow)
  const opt = tf.train.adam(0.01);
  const varList = model.trainableParameters();
  const lossAt = () => tf.tidy(() => crossEntropyLoss(model.call(x), y).dataSync()[0]);
  model.train();
  const initial = lossAt();
  for (let step = 0; step < 4; step++) {
    const l = opt.minimize(() => crossEntropyLoss(model.call(x), y) as tf.Scalar, true, varList);
    l?.dispose();
  }
  const final = lossAt();
  assert.ok(Math.abs(initial - Math.log(4)) < 0.1, `initial loss ~ln 4, got ${initial}`);
  assert.ok(final < 0.5 * initial, `loss ${initial} -> ${final}`);
  opt.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

test('trainModel: chapter output, history, best weights restored, hooks, frozen params untouched, no leaks', async () => {
  const train = quadrantData(48, 2, 8);
  const val = quadrantData(24, 3, 8);
  const model = new TinyNet();
  model.conv.bias!.requiresGrad = false;
  const frozen = model.conv.bias!.dataSync().slice();
  const fcBefore = model.fc.weight.dataSync().slice();
  const opt = tf.train.momentum(0.05, 0.9);
  const lines: string[] = [];
  const batchesSeen: BatchInfo[] = [];
  const epochsSeen: number[] = [];
  let schedulerSteps = 0;
  const before = tf.memory().numTensors;
  const result = await trainModel(
    model,
    { train: inMemoryBatches(train.x, train.y, 16, { shuffle: true, seed: 4 }), val: inMemoryBatches(val.x, val.y, 10) },
    crossEntropyLoss,
    opt,
    3,
    {
      log: (s) => lines.push(s),
      progress: false,
      onBatch: (b) => void batchesSeen.push(b),
      onEpoch: (r) => void epochsSeen.push(r.epoch),
      scheduler: { step: () => void schedulerSteps++ },
    },
  );
  // the only new tensors: the optimizer's momentum accumulators, one per trainable parameter
  assert.is(tf.memory().numTensors - before, model.trainableParameters().length, 'no tensor leaks');
  opt.dispose();

  assert.is(result.history.length, 3);
  assert.equal(epochsSeen, [0, 1, 2]);
  assert.is(schedulerSteps, 3);
  assert.is(batchesSeen.length, 3 * (3 + 3)); // 3 train batches of 16, 3 val batches (10,10,4)
  assert.equal(batchesSeen.slice(0, 6).map((b) => b.phase), ['train', 'train', 'train', 'val', 'val', 'val']);
  assert.equal(batchesSeen.slice(3, 6).map((b) => b.batchSize), [10, 10, 4]);
  for (const r of result.history) {
    assert.is(r.train.numExamples, 48);
    assert.is(r.val.numExamples, 24);
    assert.ok(r.val.acc >= 0 && r.val.acc <= 1);
  }
  assert.ok(result.history[2].train.loss < result.history[0].train.loss, 'training loss decreases');
  const best = Math.max(...result.history.map((r) => r.val.acc));
  assert.is(result.bestAcc, best);
  assert.is(result.history[result.bestEpoch].val.acc, best);

  // the chapter's printout
  assert.equal(lines.slice(0, 2), ['Epoch 0/2', '----------']);
  assert.match(lines[2], /^train Loss: \d+\.\d{4} Acc: \d\.\d{4}$/);
  assert.match(lines[3], /^val Loss: \d+\.\d{4} Acc: \d\.\d{4}$/);
  assert.match(lines[lines.length - 2], /^Training complete in \d+m \d+s$/);
  assert.is(lines[lines.length - 1], `Best val Acc: ${best.toFixed(4)}`);

  // the model holds the best weights and is in eval mode
  assert.ok(model.modules().every((m) => !m.training));
  const ev = await evaluate(model, inMemoryBatches(val.x, val.y, 10));
  assert.ok(Math.abs(ev.accuracy - result.bestAcc) < 1e-9, `evaluate ${ev.accuracy} vs best ${result.bestAcc}`);
  assert.equal(Array.from(model.conv.bias!.dataSync()), Array.from(frozen), 'frozen conv.bias untouched');
  assert.ok(maxAbsDiff(model.fc.weight.dataSync(), fcBefore) > 0, 'fc trained');
  assert.ok(model.bn.num_batches_tracked!.dataSync()[0] > 0, 'BN ran in training mode during train phases');
  tf.dispose([train.x, train.y, val.x, val.y]);
  model.dispose();
});

test('trainModel restores the best epoch, not the last one', async () => {
  const train = quadrantData(32, 5, 8);
  const val = quadrantData(16, 6, 8);
  const model = new TinyNet();
  const opt = tf.train.momentum(0.05, 0.9);
  const snapshots: Array<Record<string, tf.Tensor>> = [];
  const result = await trainModel(
    model,
    { train: inMemoryBatches(train.x, train.y, 16), val: inMemoryBatches(val.x, val.y, 16) },
    crossEntropyLoss,
    opt,
    3,
    {
      verbose: false,
      onEpoch: (r) => {
        snapshots.push(model.stateDict());
        // sabotage after epoch 1: all-zero weights cannot beat the earlier accuracy
        if (r.epoch === 1) for (const p of model.parameters()) p.assign(tf.zerosLike(p));
      },
    },
  );
  assert.ok(result.bestEpoch <= 1, `best epoch ${result.bestEpoch}`);
  assert.ok(result.history[2].val.acc < result.bestAcc);
  const now = model.stateDict();
  const expected = snapshots[result.bestEpoch];
  for (const k of Object.keys(expected)) {
    assert.equal(Array.from(now[k].dataSync()), Array.from(expected[k].dataSync()), k);
  }
  snapshots.forEach(disposeStateDict);
  disposeStateDict(now);
  opt.dispose();
  tf.dispose([train.x, train.y, val.x, val.y]);
  model.dispose();
});

test('trainModel rejects a model with no trainable parameters; progress: true does not break non-TTY runs', async () => {
  const model = new TinyNet();
  const opt = tf.train.momentum(0.01, 0.9);
  const { x, y } = quadrantData(8, 7, 8);
  const batches = inMemoryBatches(x, y, 8);
  model.setRequiresGrad(false);
  let msg = '';
  try {
    await trainModel(model, { train: batches, val: batches }, crossEntropyLoss, opt, 1, { verbose: false });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert.match(msg, /no trainable parameters/);
  model.setRequiresGrad(true);
  const r = await trainModel(model, { train: batches, val: batches }, crossEntropyLoss, opt, 1, { verbose: false, progress: true });
  assert.is(r.history.length, 1);
  opt.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

test.run();
