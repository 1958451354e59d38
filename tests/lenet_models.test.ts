// LeNet-5 and the chapter's cat/dog LeNet: keys, shapes, strict loading of PyTorch-keyed
// state dicts, and forward passes checked against a naive NCHW reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { LeNet, lenet5 } from '../src/models/index.js';
import { SeededRng, StateDictError, disposeStateDict, fromNCHW } from '../src/nn/index.js';
import { maxAbsDiff } from './helpers';

test.before(async () => {
  await tf.setBackend('cpu');
});

function randArray(n: number, seed: number, scale = 1): Float32Array {
  const r = new SeededRng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r.next() * 2 - 1) * scale;
  return a;
}

// ---- naive NCHW reference network pieces (PyTorch semantics, PyTorch weight layouts) ----
type T = { d: Float32Array; s: number[] }; // single image, CHW

function conv(x: T, w: Float32Array, ws: number[], b: Float32Array, pad: number): T {
  const [C, H, W] = x.s, [O, , K] = ws;
  const Ho = H + 2 * pad - K + 1, Wo = W + 2 * pad - K + 1;
  const out = new Float32Array(O * Ho * Wo);
  for (let o = 0; o < O; o++)
    for (let y = 0; y < Ho; y++)
      for (let xx = 0; xx < Wo; xx++) {
        let s = b[o];
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < K; ky++) {
            const iy = y - pad + ky;
            if (iy < 0 || iy >= H) continue;
            const xrow = (c * H + iy) * W, wrow = ((o * C + c) * K + ky) * K;
            for (let kx = 0; kx < K; kx++) {
              const ix = xx - pad + kx;
              if (ix < 0 || ix >= W) continue;
              s += x.d[xrow + ix] * w[wrow + kx];
            }
          }
        out[(o * Ho + y) * Wo + xx] = s;
      }
  return { d: out, s: [O, Ho, Wo] };
}
const relu = (x: T): T => ({ d: x.d.map((v) => Math.max(0, v)), s: x.s });
function pool2(x: T): T {
  const [C, H, W] = x.s, Ho = Math.floor(H / 2), Wo = Math.floor(W / 2);
  const out = new Float32Array(C * Ho * Wo);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < Ho; y++)
      for (let xx = 0; xx < Wo; xx++) {
        const i = (c * H + 2 * y) * W + 2 * xx;
        out[(c * Ho + y) * Wo + xx] = Math.max(x.d[i], x.d[i + 1], x.d[i + W], x.d[i + W + 1]);
      }
  return { d: out, s: [C, Ho, Wo] };
}
function linear(x: Float32Array, w: Float32Array, b: Float32Array): Float32Array {
  const O = b.length, I = x.length;
  const out = new Float32Array(O);
  for (let o = 0; o < O; o++) {
    let s = b[o];
    for (let i = 0; i < I; i++) s += x[i] * w[o * I + i];
    out[o] = s;
  }
  return out;
}

test('lenet5: PyTorch state_dict keys/shapes, [N,28,28,1] -> [N,10], no leaks', () => {
  const m = lenet5({ seed: 0 });
  const sd = m.stateDict();
  const shapes = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.shape]));
  assert.equal(shapes, {
    'conv1.weight': [6, 1, 5, 5],
    'conv1.bias': [6],
    'conv2.weight': [16, 6, 5, 5],
    'conv2.bias': [16],
    'fc1.weight': [120, 400],
    'fc1.bias': [120],
    'fc2.weight': [84, 120],
    'fc2.bias': [84],
    'fc3.weight': [10, 84],
    'fc3.bias': [10],
  });
  disposeStateDict(sd);
  assert.is(m.numParameters(), 61706); // the well-known LeNet-5 (padding-2 variant) count
  const x = tf.tensor4d(randArray(3 * 28 * 28, 11), [3, 28, 28, 1]);
  const before = tf.memory().numTensors;
  const y = m.call(x);
  assert.equal(y.shape, [3, 10]);
  assert.is(tf.memory().numTensors, before + 1);
  tf.dispose([x, y]);
  m.dispose();
  assert.equal(lenet5({ numClasses: 7 }).fc3.outFeatures, 7);
});

test('lenet5 with PyTorch-layout weights matches a naive NCHW forward (checks flatten order)', () => {
  const m = lenet5();
  const specs: Record<string, number[]> = {
    'conv1.weight': [6, 1, 5, 5], 'conv1.bias': [6], 'conv2.weight': [16, 6, 5, 5], 'conv2.bias': [16],
    'fc1.weight': [120, 400], 'fc1.bias': [120], 'fc2.weight': [84, 120], 'fc2.bias': [84],
    'fc3.weight': [10, 84], 'fc3.bias': [10],
  };
  const arrays: Record<string, Float32Array> = {};
  const dict: Record<string, tf.Tensor> = {};
  let seed = 100;
  for (const [k, s] of Object.entries(specs)) {
    arrays[k] = randArray(s.reduce((a, b) => a * b), seed++, 0.3);
    dict[k] = tf.tensor(arrays[k], s);
  }
  m.loadStateDict(dict);
  const img = randArray(28 * 28, 7);
  let h = relu(conv({ d: img, s: [1, 28, 28] }, arrays['conv1.weight'], specs['conv1.weight'], arrays['conv1.bias'], 2));
  h = pool2(h);
  h = pool2(relu(conv(h, arrays['conv2.weight'], specs['conv2.weight'], arrays['conv2.bias'], 0)));
  let f = linear(h.d, arrays['fc1.weight'], arrays['fc1.bias']).map((v) => Math.max(0, v));
  f = linear(f, arrays['fc2.weight'], arrays['fc2.bias']).map((v) => Math.max(0, v));
  const ref = linear(f, arrays['fc3.weight'], arrays['fc3.bias']);
  const x = tf.tensor4d(img, [1, 28, 28, 1]); // C = 1: NCHW and NHWC coincide
  const y = m.eval().call(x);
  assert.ok(maxAbsDiff(y.dataSync(), ref) < 1e-4, `diff ${maxAbsDiff(y.dataSync(), ref)}`);
  tf.dispose([...Object.values(dict), x, y]);
  m.dispose();
});

test("chapter LeNet: strict load of a PyTorch-keyed state_dict, [1,224,224,3] -> [1,2] equal to a naive NCHW forward", () => {
  const m = new LeNet({ seed: 1 });
  assert.equal(m.namedChildren().map((e) => e[0]), ['cnn1', 'relu1', 'maxpool1', 'cnn2', 'relu2', 'maxpool2', 'flatten', 'fc1', 'relu3', 'fc2']);
  const specs: Record<string, number[]> = {
    'cnn1.weight': [16, 3, 5, 5], 'cnn1.bias': [16], 'cnn2.weight': [32, 16, 5, 5], 'cnn2.bias': [32],
    'fc1.weight': [512, 89888], 'fc1.bias': [512], 'fc2.weight': [2, 512], 'fc2.bias': [2],
  };
  // a wrong dict first: every problem reported at once, by name
  const wrong: Record<string, tf.Tensor> = {
    'cnn1.weight': tf.zeros([16, 3, 5, 5]),
    'cnn2.weight': tf.zeros([32, 16, 3, 3]),
    'fc1.bias': tf.zeros([512]),
    'fc3.weight': tf.zeros([2, 2]),
  };
  try {
    m.loadStateDict(wrong);
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, StateDictError);
    const err = e as StateDictError;
    assert.equal(err.missingKeys, ['cnn1.bias', 'cnn2.bias', 'fc1.weight', 'fc2.weight', 'fc2.bias']);
    assert.equal(err.unexpectedKeys, ['fc3.weight']);
    assert.equal(err.mismatches, [{ key: 'cnn2.weight', expected: [32, 16, 5, 5], actual: [32, 16, 3, 3] }]);
  }
  tf.dispose(Object.values(wrong));

  const arrays: Record<string, Float32Array> = {};
  const dict: Record<string, tf.Tensor> = {};
  let seed = 200;
  for (const [k, s] of Object.entries(specs)) {
    const n = s.reduce((a, b) => a * b);
    arrays[k] = randArray(n, seed++, k.startsWith('fc1') ? 0.01 : 1 / Math.sqrt(n / s[0]));
    dict[k] = tf.tensor(arrays[k], s);
  }
  const res = m.loadStateDict(dict); // strict
  assert.equal(res, { missingKeys: [], unexpectedKeys: [] });
  tf.dispose(Object.values(dict));

  const imgCHW = randArray(3 * 224 * 224, 9);
  const xn = tf.tensor4d(imgCHW, [1, 3, 224, 224]);
  const x = fromNCHW(xn);
  m.eval();
  const before = tf.memory().numTensors;
  const y = m.call(x);
  assert.is(tf.memory().numTensors, before + 1, 'no leak in forward');
  assert.equal(y.shape, [1, 2]);

  let h = pool2(relu(conv({ d: imgCHW, s: [3, 224, 224] }, arrays['cnn1.weight'], specs['cnn1.weight'], arrays['cnn1.bias'], 0)));
  h = pool2(relu(conv(h, arrays['cnn2.weight'], specs['cnn2.weight'], arrays['cnn2.bias'], 0)));
  assert.equal(h.s, [32, 53, 53]);
  const f = linear(h.d, arrays['fc1.weight'], arrays['fc1.bias']).map((v) => Math.max(0, v));
  const ref = linear(f, arrays['fc2.weight'], arrays['fc2.bias']);
  const got = y.dataSync();
  const scale = Math.max(...Array.from(ref).map(Math.abs), 1e-3);
  assert.ok(maxAbsDiff(got, ref) < 1e-3 * scale, `got ${Array.from(got)} ref ${Array.from(ref)}`);
  tf.dispose([xn, x, y]);
  m.dispose();
});

test.run();
