// Loss, accuracy, evaluation and prediction helpers against hand-computed values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Flatten, Sequential } from '../src/nn/index.js';
import {
  type Batch,
  type Batches,
  calculateAccuracy,
  crossEntropyLoss,
  evaluate,
  formatElapsed,
  getPredictions,
  inMemoryBatches,
  sortByConfidence,
} from '../src/train/index.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('crossEntropyLoss equals hand-computed -log softmax at the label (mean, sum, none)', () => {
  const logits = tf.tensor2d([[2, 0.5, -1], [0.1, 0.2, 3.0]]);
  const labels = tf.tensor1d([1, 2], 'int32');
  // by hand: log(e^2 + e^0.5 + e^-1) - 0.5 = 1.7413113;  log(e^0.1 + e^0.2 + e^3) - 3 = 0.1096015
  const before = tf.memory().numTensors;
  const mean = crossEntropyLoss(logits, labels);
  const sum = crossEntropyLoss(logits, labels, { reduction: 'sum' });
  const none = crossEntropyLoss(logits, labels, { reduction: 'none' });
  assert.is(tf.memory().numTensors, before + 3, 'no intermediate leaks');
  assert.equal(mean.shape, []);
  assert.ok(Math.abs(mean.dataSync()[0] - 0.9254564) < 1e-6, `${mean.dataSync()[0]}`);
  assert.ok(Math.abs(sum.dataSync()[0] - 1.8509128) < 1e-5);
  assert.ok(Math.abs(none.dataSync()[0] - 1.7413113) < 1e-6 && Math.abs(none.dataSync()[1] - 0.1096015) < 1e-6);
  const floatLabels = tf.tensor1d([1, 2]);
  const meanF = crossEntropyLoss(logits, floatLabels);
  assert.ok(Math.abs(meanF.dataSync()[0] - 0.9254564) < 1e-6, 'float labels are cast');
  const soft = tf.tensor2d([[0, 1, 0], [0, 0, 1]]);
  const meanSoft = crossEntropyLoss(logits, soft);
  assert.ok(Math.abs(meanSoft.dataSync()[0] - 0.9254564) < 1e-6, 'one-hot soft targets agree');
  tf.dispose([logits, labels, mean, sum, none, floatLabels, meanF, soft, meanSoft]);
});

test('crossEntropyLoss is stable for huge logits and validates shapes', () => {
  const logits = tf.tensor2d([[1000, 0], [0, -1000]]);
  const labels = tf.tensor1d([1, 0], 'int32');
  const l = crossEntropyLoss(logits, labels, { reduction: 'none' });
  assert.ok(Math.abs(l.dataSync()[0] - 1000) < 1e-3 && Math.abs(l.dataSync()[1]) < 1e-6, `${Array.from(l.dataSync())}`);
  const bad = tf.tensor1d([0, 1, 1], 'int32');
  assert.throws(() => crossEntropyLoss(logits, bad), /labels must be/);
  const l3 = tf.zeros([2, 2, 2]);
  assert.throws(() => crossEntropyLoss(l3, labels), /logits must be \[N, C\]/);
  tf.dispose([logits, labels, l, bad, l3]);
});

test('calculateAccuracy: fraction of argmax == label', () => {
  const scores = tf.tensor2d([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]);
  const labels = tf.tensor1d([1, 1, 1, 0], 'int32');
  assert.is(calculateAccuracy(scores, labels), 0.75);
  const labels2 = tf.tensor1d([0, 0, 0, 1], 'int32');
  assert.is(calculateAccuracy(scores, labels2), 0.25);
  const wrong = tf.tensor1d([0, 1], 'int32');
  assert.throws(() => calculateAccuracy(scores, wrong), /expected scores/);
  tf.dispose([scores, labels, labels2, wrong]);
});

// Six 1x1 RGB "images" whose pixels are the logits (the model is just Flatten).
const ROWS = [[2, 0, 0], [0, 3, 0], [0, 0, 1], [5, 0, 0], [0, 0.5, 0], [0, 2, 0]];
const LABELS = [0, 1, 0, 2, 1, 0]; // correct: 0, 1, 4; wrong: 2 (pred 2), 3 (pred 0), 5 (pred 1)

/** An async stream yielding fresh tensors per batch (like a real loader). */
function asyncBatches(batchSize: number): Batches {
  return {
    length: Math.ceil(ROWS.length / batchSize),
    async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
      for (let i = 0; i < ROWS.length; i += batchSize) {
        const rows = ROWS.slice(i, i + batchSize);
        yield { x: tf.tensor4d(rows.flat(), [rows.length, 1, 1, 3]), y: tf.tensor1d(LABELS.slice(i, i + batchSize), 'int32') };
      }
    },
  };
}

const softmaxRow = (r: number[]) => {
  const e = r.map(Math.exp);
  const s = e.reduce((a, b) => a + b);
  return e.map((v) => v / s);
};

test('evaluate: mean loss and accuracy over an async batch stream; restores train mode; no leaks', async () => {
  const model = new Sequential(new Flatten());
  const before = tf.memory().numTensors;
  const r = await evaluate(model, asyncBatches(4));
  assert.is(tf.memory().numTensors, before, 'batches disposed, nothing leaked');
  assert.ok(Math.abs(r.loss - 1.6555366) < 1e-5, `loss ${r.loss}`); // hand-computed, weighted by batch size
  assert.is(r.accuracy, 0.5);
  assert.ok(model.training, 'previous (training) mode restored');
  model.dispose();
});

test('getPredictions returns images/labels/softmax probs; sortByConfidence orders (in)correct examples', async () => {
  const model = new Sequential(new Flatten());
  const before = tf.memory().numTensors;
  const preds = await getPredictions(model, asyncBatches(4));
  assert.is(tf.memory().numTensors, before + 3, 'only images, labels, probs survive');
  assert.equal(preds.images.shape, [6, 1, 1, 3]);
  assert.equal(Array.from(preds.labels.dataSync()), LABELS);
  const probs = preds.probs.dataSync();
  ROWS.forEach((r, i) => {
    const p = softmaxRow(r);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(probs[i * 3 + k] - p[k]) < 1e-6);
  });

  const wrong = sortByConfidence(preds, { correct: false });
  assert.equal(wrong.map((e) => e.index), [3, 5, 2]);
  assert.equal(wrong.map((e) => e.predicted), [0, 1, 2]);
  assert.equal(wrong.map((e) => e.label), [2, 0, 0]);
  assert.ok(Math.abs(wrong[0].confidence - softmaxRow(ROWS[3])[0]) < 1e-6);
  assert.equal(Array.from(wrong[1].image!.dataSync()), ROWS[5]);
  assert.equal(wrong[1].image!.shape, [1, 1, 3]);
  const right = sortByConfidence(preds, { correct: true, limit: 2, withImages: false });
  assert.equal(right.map((e) => e.index), [1, 0]);
  assert.is(right[0].image, undefined);
  for (const e of wrong) e.image!.dispose();
  tf.dispose([preds.images, preds.labels, preds.probs]);
  assert.is(tf.memory().numTensors, before);
  model.dispose();
});

test('inMemoryBatches: fresh tensors per pass, shuffles a permutation, dropLast, length', () => {
  const x = tf.tensor4d(Array.from({ length: 10 }, (_, i) => i), [10, 1, 1, 1]);
  const y = tf.tensor1d(Array.from({ length: 10 }, (_, i) => i), 'int32');
  const b = inMemoryBatches(x, y, 4, { shuffle: true, seed: 3 });
  assert.is(b.length, 3);
  const seen: number[] = [];
  const sizes: number[] = [];
  for (const { x: bx, y: by } of b) {
    assert.equal(Array.from(bx.dataSync()), Array.from(by.dataSync()), 'x and y stay aligned');
    seen.push(...Array.from(by.dataSync()));
    sizes.push(by.shape[0]);
    tf.dispose([bx, by]);
  }
  assert.equal(sizes, [4, 4, 2]);
  assert.equal([...seen].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.not.equal(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'shuffled');
  const d = inMemoryBatches(x, y, 4, { dropLast: true });
  assert.is(d.length, 2);
  assert.is([...d].map((bb) => (tf.dispose([bb.x, bb.y]), 1)).length, 2);
  const badY = tf.zeros([3]);
  assert.throws(() => inMemoryBatches(x, badY, 4), /has 10 examples but y has 3/);
  tf.dispose([x, y, badY]);
});

test('formatElapsed prints like the chapter', () => {
  assert.is(formatElapsed(83.4), '1m 23s');
  assert.is(formatElapsed(5), '0m 5s');
});

test.run();
