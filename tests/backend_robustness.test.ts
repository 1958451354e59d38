// Bad input on the simd backend: clear errors naming the op/tensor, and after 1000 mixed calls
// (some failing) the tensor count and the wasm heap's bytes in use are back at their start.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { randomArray } from './helpers';
import { simdBackend } from '../src/index';

test.before(async () => { assert.ok(await tf.setBackend('simd')); });

test('kernels reject bad ranks, shapes and dtypes with the op, tensor and expected vs actual', () => {
  const x3 = tf.zeros([4, 4, 3]);
  const f = tf.zeros([3, 3, 3, 8]);
  const e = tf.engine();
  assert.throws(() => e.runKernel('Conv2D', { x: x3, filter: f }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 }),
    (err: Error) => /Conv2D/.test(err.message) && /x/.test(err.message) && /rank 4/.test(err.message) && /rank 3/.test(err.message));
  const x4 = tf.zeros([1, 4, 4, 5]);
  assert.throws(() => e.runKernel('Conv2D', { x: x4, filter: f }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 }),
    (err: Error) => /Conv2D/.test(err.message) && /5/.test(err.message) && /3/.test(err.message));
  assert.throws(() => e.runKernel('MaxPool', { x: x3 }, { filterSize: 2, strides: 2, pad: 'valid' }),
    (err: Error) => /MaxPool/.test(err.message) && /rank/.test(err.message));
  assert.throws(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 5])), /3.*4|4.*3/);
  tf.dispose([x3, f, x4]);
});

test('1000 mixed calls, some failing: no leaked tensors or heap bytes; backend still correct', () => {
  const be = simdBackend();
  const hStart = be.memory().heapBytesInUse;
  const x = tf.tensor4d(randomArray(2 * 9 * 11 * 5, 1), [2, 9, 11, 5]);
  const w = tf.tensor4d(randomArray(3 * 3 * 5 * 7, 2), [3, 3, 5, 7]);
  const bad = tf.zeros([3, 3, 4, 7]);
  const m = tf.tensor2d(randomArray(6 * 13, 3), [6, 13]);
  const ref = tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync().slice());
  let t0 = 0, h0 = 0;
  let failures = 0;
  for (let i = 0; i < 1008; i++) {
    if (i === 8) {  // after one round: packed filters/matrices are cached on w and m by now
      t0 = tf.memory().numTensors;
      h0 = be.memory().heapBytesInUse;
      failures = 0;
    }
    try {
      tf.tidy(() => {
        switch (i % 8) {
          case 0: tf.conv2d(x, w, 2, 'same').dataSync(); break;
          case 1: tf.conv2d(x, bad, 1, 'same'); break;                                   // channel mismatch
          case 2: tf.maxPool(x, 3, 2, 'same').dataSync(); break;
          case 3: tf.softmax(tf.matMul(m, m, false, true)).dataSync(); break;
          case 4: tf.matMul(m, m); break;                                                 // inner dims differ
          case 5: tf.add(x, tf.ones([5])).relu().sum([1, 2]).dataSync(); break;
          case 6: tf.engine().runKernel('Reshape', { x }, { shape: [7, 7] }); break;     // wrong size
          case 7: tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: tf.ones([7]), activation: 'relu6' }).dataSync(); break;
        }
      });
    } catch {
      failures++;
    }
  }
  assert.is(failures, 375, 'the failing cases threw');
  assert.is(tf.memory().numTensors, t0);
  assert.is(be.memory().heapBytesInUse, h0);
  assert.equal(Array.from(tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync())), Array.from(ref), 'backend still gives the same result');
  tf.dispose([x, w, bad, m]);
  assert.is(be.memory().heapBytesInUse, hStart, 'disposing the inputs frees their packed caches too');
});

test.run();
