// Layers against hand-written NCHW references over PyTorch-layout weights.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  Linear,
  LogSoftmax,
  MaxPool2d,
  SeededRng,
  Softmax,
  fromNCHW,
  manualSeed,
  toNCHW,
} from '../src/nn/index.js';
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

/** Naive direct convolution, NCHW input, OIHW weight, PyTorch semantics (zero padding). */
function convNCHW(
  x: Float32Array, [n, c, h, w]: number[],
  wt: Float32Array, [o, i, kh, kw]: number[],
  bias: Float32Array | null,
  [sh, sw]: number[], [pt, pb, pl, pr]: number[], [dh, dw]: number[],
): { data: Float32Array; shape: number[] } {
  assert.is(c, i);
  const ho = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const out = new Float32Array(n * o * ho * wo);
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let y = 0; y < ho; y++)
        for (let xx = 0; xx < wo; xx++) {
          let s = bias ? bias[oc] : 0;
          for (let ic = 0; ic < c; ic++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = y * sh - pt + ky * dh;
                const ix = xx * sw - pl + kx * dw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                s += x[((b * c + ic) * h + iy) * w + ix] * wt[((oc * i + ic) * kh + ky) * kw + kx];
              }
          out[((b * o + oc) * ho + y) * wo + xx] = s;
        }
  return { data: out, shape: [n, o, ho, wo] };
}

/** Naive pooling, NCHW; 'max' ignores padding, 'avg' divides by kh*kw or by real cells. */
function poolNCHW(
  x: Float32Array, [n, c, h, w]: number[], [kh, kw]: number[], [sh, sw]: number[], [ph, pw]: number[],
  kind: 'max' | 'avg', countIncludePad = true,
): { data: Float32Array; shape: number[] } {
  const ho = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - kw) / sw) + 1;
  const out = new Float32Array(n * c * ho * wo);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < ho; y++)
        for (let xx = 0; xx < wo; xx++) {
          let m = -Infinity, s = 0, cnt = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = y * sh - ph + ky, ix = xx * sw - pw + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const v = x[((b * c + ch) * h + iy) * w + ix];
              m = Math.max(m, v);
              s += v;
              cnt++;
            }
          out[((b * c + ch) * ho + y) * wo + xx] = kind === 'max' ? m : s / (countIncludePad ? kh * kw : cnt);
        }
  return { data: out, shape: [n, c, ho, wo] };
}

type ConvCase = {
  name: string; n: number; cin: number; cout: number; h: number; w: number; k: [number, number];
  opts: ConstructorParameters<typeof Conv2d>[3]; pad: number[]; stride: number[]; dil: number[];
};
const convCases: ConvCase[] = [
  { name: '3x3 pad 1', n: 2, cin: 3, cout: 4, h: 7, w: 6, k: [3, 3], opts: { padding: 1 }, pad: [1, 1, 1, 1], stride: [1, 1], dil: [1, 1] },
  { name: '5x5 valid (LeNet)', n: 1, cin: 2, cout: 3, h: 9, w: 9, k: [5, 5], opts: {}, pad: [0, 0, 0, 0], stride: [1, 1], dil: [1, 1] },
  { name: 'stride 2, pad [1,2], 3x2 kernel, no bias', n: 2, cin: 3, cout: 5, h: 8, w: 9, k: [3, 2], opts: { stride: 2, padding: [1, 2], bias: false }, pad: [1, 1, 2, 2], stride: [2, 2], dil: [1, 1] },
  { name: 'dilation 2, pad 2', n: 1, cin: 2, cout: 2, h: 9, w: 8, k: [3, 3], opts: { dilation: 2, padding: 2 }, pad: [2, 2, 2, 2], stride: [1, 1], dil: [2, 2] },
  { name: "'same' with even kernel (extra pad bottom/right)", n: 1, cin: 2, cout: 3, h: 6, w: 5, k: [4, 2], opts: { padding: 'same' }, pad: [1, 2, 0, 1], stride: [1, 1], dil: [1, 1] },
];

for (const cc of convCases) {
  test(`Conv2d ${cc.name} matches a naive NCHW/OIHW convolution`, () => {
    const conv = new Conv2d(cc.cin, cc.cout, cc.k, { ...cc.opts, seed: 11 });
    const wShape = [cc.cout, cc.cin, cc.k[0], cc.k[1]];
    const wData = randArray(wShape.reduce((a, b) => a * b), 1);
    const bData = conv.bias ? randArray(cc.cout, 2) : null;
    const dict: Record<string, tf.Tensor> = { weight: tf.tensor(wData, wShape) };
    if (bData) dict.bias = tf.tensor1d(bData);
    conv.loadStateDict(dict);
    const xShape = [cc.n, cc.cin, cc.h, cc.w];
    const xData = randArray(xShape.reduce((a, b) => a * b), 3);
    const ref = convNCHW(xData, xShape, wData, wShape, bData, cc.stride, cc.pad, cc.dil);
    const xNCHW = tf.tensor(xData, xShape);
    const xNHWC = fromNCHW(xNCHW);
    const before = tf.memory().numTensors;
    const y = conv.call(xNHWC);
    assert.is(tf.memory().numTensors, before + 1, 'no leak');
    const yNCHW = toNCHW(y);
    assert.equal(yNCHW.shape, ref.shape);
    assert.ok(maxAbsDiff(yNCHW.dataSync(), ref.data) < 1e-4, `max diff ${maxAbsDiff(yNCHW.dataSync(), ref.data)}`);
    tf.dispose([...Object.values(dict), xNCHW, xNHWC, y, yNCHW]);
    conv.dispose();
  });
}

test('Conv2d argument errors are clear', () => {
  assert.throws(() => new Conv2d(4, 4, 3, { groups: 2 }), /groups=2 is not supported yet/);
  assert.throws(() => new Conv2d(4, 4, 3, { padding: 'same', stride: 2 }), /'same' is not supported for strided/);
  assert.throws(() => new Conv2d(4, 4, 3, { paddingMode: 'reflect' }), /not supported yet/);
  const c = new Conv2d(3, 2, 3);
  const x = tf.zeros([1, 5, 5, 4]);
  assert.throws(() => c.call(x), /expected input .* to have 3 channels, but got 4/);
  const x3 = tf.zeros([5, 5, 3]);
  assert.throws(() => c.call(x3), /rank-4 NHWC/);
  tf.dispose([x, x3]);
  c.dispose();
});

test('Linear matches y = x W^T + b with PyTorch [out, in] weights, also on rank-3 input', () => {
  const lin = new Linear(5, 3);
  const W = randArray(15, 4); // [out=3, in=5]
  const b = randArray(3, 5);
  const wt = tf.tensor2d(W, [3, 5]);
  const bt = tf.tensor1d(b);
  lin.loadStateDict({ weight: wt, bias: bt });
  const X = randArray(2 * 4 * 5, 6);
  const x = tf.tensor3d(X, [2, 4, 5]);
  const y = lin.call(x);
  assert.equal(y.shape, [2, 4, 3]);
  const ref = new Float32Array(2 * 4 * 3);
  for (let r = 0; r < 8; r++)
    for (let o = 0; o < 3; o++) {
      let s = b[o];
      for (let i = 0; i < 5; i++) s += X[r * 5 + i] * W[o * 5 + i];
      ref[r * 3 + o] = s;
    }
  assert.ok(maxAbsDiff(y.dataSync(), ref) < 1e-5);
  const bad = tf.zeros([2, 4]);
  assert.throws(() => lin.call(bad), /last dim must be 5/);
  tf.dispose([wt, bt, x, y, bad]);
  lin.dispose();
});

test('default init follows PyTorch bounds (1/sqrt(fanIn)) and is reproducible with a seed', () => {
  const a = new Conv2d(4, 8, 3, { seed: 42 });
  const b = new Conv2d(4, 8, 3, { seed: 42 });
  const bound = 1 / Math.sqrt(4 * 9);
  const wa = a.weight.dataSync();
  assert.ok(wa.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...wa.map(Math.abs)) > 0.8 * bound, 'fills the range');
  assert.ok(a.bias!.dataSync().every((v) => Math.abs(v) <= bound));
  assert.equal(Array.from(wa), Array.from(b.weight.dataSync()));
  manualSeed(7);
  const l1 = new Linear(100, 10);
  manualSeed(7);
  const l2 = new Linear(100, 10);
  manualSeed(null);
  assert.equal(Array.from(l1.weight.dataSync()), Array.from(l2.weight.dataSync()));
  assert.ok(l1.weight.dataSync().every((v) => Math.abs(v) <= 0.1));
  [a, b, l1, l2].forEach((m) => m.dispose());
});

const poolCases: Array<{ name: string; k: [number, number]; s: [number, number]; p: [number, number]; h: number; w: number }> = [
  { name: '2x2 s2', k: [2, 2], s: [2, 2], p: [0, 0], h: 6, w: 7 },
  { name: '3x3 s2 pad 1', k: [3, 3], s: [2, 2], p: [1, 1], h: 7, w: 6 },
  { name: '3x2 s1 pad [1,1]', k: [3, 2], s: [1, 1], p: [1, 1], h: 5, w: 5 },
];
for (const pc of poolCases) {
  test(`MaxPool2d / AvgPool2d ${pc.name} match naive NCHW pooling (incl. countIncludePad)`, () => {
    const shape = [2, 3, pc.h, pc.w];
    const X = randArray(shape.reduce((a, b) => a * b), 8);
    const xn = tf.tensor(X, shape);
    const x = fromNCHW(xn);
    const cases: Array<[tf.Tensor, { data: Float32Array; shape: number[] }]> = [];
    const mp = new MaxPool2d(pc.k, { stride: pc.s, padding: pc.p });
    cases.push([mp.call(x), poolNCHW(X, shape, pc.k, pc.s, pc.p, 'max')]);
    const ap = new AvgPool2d(pc.k, { stride: pc.s, padding: pc.p });
    cases.push([ap.call(x), poolNCHW(X, shape, pc.k, pc.s, pc.p, 'avg', true)]);
    const ap2 = new AvgPool2d(pc.k, { stride: pc.s, padding: pc.p, countIncludePad: false });
    cases.push([ap2.call(x), poolNCHW(X, shape, pc.k, pc.s, pc.p, 'avg', false)]);
    for (const [y, ref] of cases) {
      const yn = toNCHW(y);
      assert.equal(yn.shape, ref.shape);
      assert.ok(maxAbsDiff(yn.dataSync(), ref.data) < 1e-5, `diff ${maxAbsDiff(yn.dataSync(), ref.data)}`);
      tf.dispose([y, yn]);
    }
    tf.dispose([xn, x]);
  });
}

test('pooling rejects unsupported options clearly', () => {
  assert.throws(() => new MaxPool2d(2, { returnIndices: true }), /not supported yet/);
  assert.throws(() => new MaxPool2d(2, { padding: 2 }), /at most half/);
});

test('Flatten of NHWC gives PyTorch NCHW flatten order', () => {
  const shape = [2, 3, 2, 4]; // NCHW
  const X = Float32Array.from({ length: 48 }, (_, i) => i);
  const xn = tf.tensor(X, shape);
  const x = fromNCHW(xn);
  const y = new Flatten().call(x);
  assert.equal(y.shape, [2, 24]);
  assert.equal(Array.from(y.dataSync()), Array.from(X)); // NCHW row-major == PyTorch x.view(N, -1)
  const y2 = new Flatten(2).call(x); // PyTorch Flatten(2) on NCHW: [N, C, H*W]
  assert.equal(y2.shape, [2, 3, 8]);
  assert.equal(Array.from(y2.dataSync()), Array.from(X));
  for (const s of [[2, 5, 1, 1], [2, 1, 3, 3]]) { // the no-transpose shortcuts (H*W == 1, C == 1)
    const vals = Float32Array.from({ length: s.reduce((p, q) => p * q) }, (_, i) => i);
    const an = tf.tensor(vals, s);
    const a = fromNCHW(an);
    const f = new Flatten().call(a);
    assert.equal(f.shape, [2, s[1] * s[2] * s[3]]);
    assert.equal(Array.from(f.dataSync()), Array.from(vals));
    tf.dispose([an, a, f]);
  }
  tf.dispose([xn, x, y, y2]);
});

test('Softmax / LogSoftmax map PyTorch dims: dim=1 on rank 4 is channels (NHWC axis 3)', () => {
  const x = tf.tensor4d(randArray(2 * 3 * 2 * 4, 9, 3), [2, 3, 2, 4]); // NHWC, C = 4
  const s = new Softmax(1).call(x);
  const sums = tf.sum(s, 3);
  assert.ok(sums.dataSync().every((v) => Math.abs(v - 1) < 1e-5));
  const sH = new Softmax(2).call(x); // PyTorch dim 2 = H = NHWC axis 1
  const sumsH = tf.sum(sH, 1);
  assert.ok(sumsH.dataSync().every((v) => Math.abs(v - 1) < 1e-5));
  const ls = new LogSoftmax(1).call(x);
  const expLs = tf.exp(ls);
  assert.ok(maxAbsDiff(expLs.dataSync(), s.dataSync()) < 1e-5);
  const l2 = tf.tensor2d([[1000, 0], [0, 0]]);
  const p2 = new Softmax(-1).call(l2);
  assert.ok(maxAbsDiff(p2.dataSync(), [1, 0, 0.5, 0.5]) < 1e-6, 'stable for large logits');
  tf.dispose([x, s, sums, sH, sumsH, ls, expLs, l2, p2]);
});

test('Dropout: identity in eval; zeroes and rescales by 1/(1-p) in training', () => {
  const d = new Dropout(0.5, { seed: 1 });
  const x = tf.ones([1000]);
  const yTrain = d.call(x);
  const again = new Dropout(0.5, { seed: 1 }).call(x);
  assert.equal(Array.from(again.dataSync()), Array.from(yTrain.dataSync()), 'seeded masks reproduce');
  again.dispose();
  const v = yTrain.dataSync();
  assert.ok(v.every((e) => e === 0 || Math.abs(e - 2) < 1e-6));
  const zeros = v.filter((e) => e === 0).length;
  assert.ok(zeros > 400 && zeros < 600, `zeros ${zeros}`);
  d.eval();
  const yEval = d.call(x);
  assert.equal(Array.from(yEval.dataSync()), Array.from(x.dataSync()));
  tf.dispose([x, yTrain, yEval]);
});

test('BatchNorm2d: training uses batch stats, updates running stats (unbiased var, momentum 0.1); eval uses running stats', () => {
  const C = 2;
  const N = 2, H = 1, W = 3;
  // NHWC values, per channel: ch0 = [1,2,3,4,5,6], ch1 = [0,0,0,4,4,8]
  const ch0 = [1, 2, 3, 4, 5, 6];
  const ch1 = [0, 0, 0, 4, 4, 8];
  const data: number[] = [];
  for (let i = 0; i < 6; i++) data.push(ch0[i], ch1[i]);
  const x = tf.tensor4d(data, [N, H, W, C]);
  const bn = new BatchNorm2d(C);
  const g = tf.tensor1d([2, 0.5]);
  const bb = tf.tensor1d([1, -1]);
  const rm = tf.tensor1d([0, 0]);
  const rv = tf.tensor1d([1, 1]);
  const nb = tf.scalar(0, 'int32');
  bn.loadStateDict({ weight: g, bias: bb, running_mean: rm, running_var: rv, num_batches_tracked: nb });
  const stats = [ch0, ch1].map((v) => {
    const m = v.reduce((a, b) => a + b) / v.length;
    const ss = v.reduce((a, b) => a + (b - m) ** 2, 0);
    return { m, vb: ss / v.length, vu: ss / (v.length - 1) };
  });
  const gamma = [2, 0.5], beta = [1, -1], eps = 1e-5;
  const y = bn.call(x);
  const yv = y.dataSync();
  for (let i = 0; i < 6; i++)
    for (let c = 0; c < C; c++) {
      const v = [ch0, ch1][c][i];
      const ref = ((v - stats[c].m) / Math.sqrt(stats[c].vb + eps)) * gamma[c] + beta[c];
      assert.ok(Math.abs(yv[i * C + c] - ref) < 1e-4, `train out ${i},${c}: ${yv[i * C + c]} vs ${ref}`);
    }
  const runM = bn.running_mean!.dataSync();
  const runV = bn.running_var!.dataSync();
  for (let c = 0; c < C; c++) {
    assert.ok(Math.abs(runM[c] - 0.1 * stats[c].m) < 1e-6, 'running_mean');
    assert.ok(Math.abs(runV[c] - (0.9 + 0.1 * stats[c].vu)) < 1e-5, `running_var ${runV[c]} vs ${0.9 + 0.1 * stats[c].vu}`);
  }
  assert.is(bn.num_batches_tracked!.dataSync()[0], 1);
  // eval: running stats, no update
  bn.eval();
  const ye = bn.call(x);
  const yev = ye.dataSync();
  for (let i = 0; i < 6; i++)
    for (let c = 0; c < C; c++) {
      const v = [ch0, ch1][c][i];
      const ref = ((v - runM[c]) / Math.sqrt(runV[c] + eps)) * gamma[c] + beta[c];
      assert.ok(Math.abs(yev[i * C + c] - ref) < 1e-4, 'eval out');
    }
  assert.is(bn.num_batches_tracked!.dataSync()[0], 1, 'eval does not count batches');
  assert.ok(Math.abs(bn.running_mean!.dataSync()[0] - runM[0]) < 1e-7, 'eval does not update');
  tf.dispose([x, g, bb, rm, rv, nb, y, ye]);
  bn.dispose();
});

test('BatchNorm2d momentum=null is a cumulative average; single value per channel in training throws', () => {
  const bn = new BatchNorm2d(1, { momentum: null });
  const a = tf.tensor4d([1, 3], [1, 1, 2, 1]); // mean 2, unbiased var 2
  const b = tf.tensor4d([10, 10], [1, 1, 2, 1]); // mean 10, var 0
  tf.dispose([bn.call(a), bn.call(b)]);
  assert.ok(Math.abs(bn.running_mean!.dataSync()[0] - 6) < 1e-5, `${bn.running_mean!.dataSync()[0]}`);
  assert.ok(Math.abs(bn.running_var!.dataSync()[0] - 1) < 1e-5, `${bn.running_var!.dataSync()[0]}`);
  const one = tf.ones([1, 1, 1, 1]);
  assert.throws(() => bn.call(one), /Expected more than 1 value per channel/);
  tf.dispose([a, b, one]);
  bn.dispose();
});

test.run();
