// src/ops: PyTorch pooling and grouped conv. Every op against PyTorch's outputs in
// tests/fixtures/torch/ops.safetensors (gen_fixtures.py) on `cpu` (composite path) and `simd`
// (native path), native vs composite parity (values and gradients) on shapes the fixtures do
// not cover, hand-computed cases, error messages, and tensor leaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { adaptiveAvgPool2d, adaptiveBin, avgPool2dTorch, conv2dGroups, maxPool2dTorch, torchPoolOutSize } from '../src/ops/index.js';
import { loadTorchFixture, fixtureF32, nchwToNhwc, nhwcToNchw } from './zoo_helpers';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from '../src/nn/index.js';

interface OpCase {
  name: string;
  op: string;
  call: string;
  params: Record<string, unknown>;
  tensors: Record<string, string>;
  shapes: Record<string, number[]>;
}

const fixture = await loadTorchFixture('ops');
const cases: OpCase[] = JSON.parse(fixture.metadata.cases);

const tensorOf = (name: string) => fixtureF32(fixture, name, 'ops.safetensors');

/** Runs one fixture case on the active backend: NHWC in, NCHW values out. */
function runCase(c: OpCase): Float32Array {
  const p = c.params as Record<string, any>;
  const input = tensorOf(c.tensors.input);
  return tf.tidy(() => {
    const x = nchwToNhwc(input.data, input.shape);
    let y: tf.Tensor;
    switch (c.op) {
      case 'max_pool2d':
        y = maxPool2dTorch(x, p.kernel_size, { stride: p.stride, padding: p.padding, dilation: p.dilation, ceilMode: p.ceil_mode });
        break;
      case 'avg_pool2d':
        y = avgPool2dTorch(x, p.kernel_size, { stride: p.stride, padding: p.padding, ceilMode: p.ceil_mode, countIncludePad: p.count_include_pad });
        break;
      case 'adaptive_avg_pool2d':
        y = adaptiveAvgPool2d(x, p.output_size);
        break;
      case 'conv2d': {
        const w = tensorOf(c.tensors.weight);
        const b = tensorOf(c.tensors.bias);
        // PyTorch [Cout, Cin/g, kh, kw] -> tfjs [kh, kw, Cin/g, Cout]
        const filter = tf.transpose(tf.tensor4d(w.data, w.shape as [number, number, number, number]), [2, 3, 1, 0]);
        y = conv2dGroups(x, filter, p.groups, { stride: p.stride, padding: p.padding, dilation: p.dilation, bias: tf.tensor1d(b.data) });
        break;
      }
      default:
        throw new Error(`unhandled op ${c.op}`);
    }
    const out = nhwcToNchw(y);
    assert.equal(out.shape, c.shapes.output, `${c.name}: output shape`);
    return out.dataSync() as Float32Array;
  });
}

const OPS = new Set(['max_pool2d', 'avg_pool2d', 'adaptive_avg_pool2d', 'conv2d']);

for (const backend of ['cpu', 'simd']) {
  test(`ops fixture: every pooling / grouped-conv case matches PyTorch on ${backend}`, async () => {
    assert.ok(await tf.setBackend(backend));
    const mine = cases.filter((c) => OPS.has(c.op));
    assert.ok(mine.length >= 40, `expected the pooling/conv cases in ops.safetensors, found ${mine.length}`);
    const before = tf.memory().numTensors;
    const report: string[] = [];
    for (const c of mine) {
      const want = tensorOf(c.tensors.output).data;
      const got = runCase(c);
      assert.is(got.length, want.length, c.name);
      let err = 0;
      for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
      const tol = c.op === 'conv2d' ? 1e-5 : 2e-6;
      if (!(err <= tol)) report.push(`${c.name} (${c.call}): max abs error ${err}`);
    }
    assert.is(report.length, 0, report.join('\n'));
    assert.is(tf.memory().numTensors, before, 'no leaked tensors');
  });
}

test('torchPoolOutSize: PyTorch ceil-mode rule incl. dropped last window', () => {
  // (n, k, s, p, d, ceil) -> out, from aten pooling_output_shape
  const rows: Array<[number, number, number, number, number, boolean, number]> = [
    [9, 3, 2, 0, 1, true, 4], [10, 3, 2, 0, 1, true, 5], [5, 2, 2, 1, 1, true, 3], [7, 2, 2, 1, 1, true, 4],
    [5, 3, 3, 1, 1, true, 2], [8, 3, 3, 1, 1, true, 3], [6, 1, 2, 0, 1, true, 3], [112, 3, 2, 0, 1, true, 56],
    [56, 3, 2, 0, 1, true, 28], [14, 2, 2, 0, 1, true, 7], [7, 2, 2, 0, 1, true, 4], [7, 3, 2, 1, 1, false, 4],
    [11, 3, 1, 2, 2, false, 11],
  ];
  for (const [n, k, s, p, d, ceil, want] of rows) assert.is(torchPoolOutSize(n, k, s, p, d, ceil), want, `n=${n} k=${k} s=${s} p=${p} ceil=${ceil}`);
});

test('adaptiveAvgPool2d: hand-computed bins (out > in, out not dividing in)', async () => {
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    // 1-channel 2x3 -> 3x2: rows bins of 2 -> 3: [0,1),[0,2),[1,2); cols 3 -> 2: [0,2),[1,3)
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const y = adaptiveAvgPool2d(x, [3, 2]);
    const r0 = [(1 + 2) / 2, (2 + 3) / 2];
    const r2 = [(4 + 5) / 2, (5 + 6) / 2];
    const r1 = [(1 + 2 + 4 + 5) / 4, (2 + 3 + 5 + 6) / 4];
    assert.equal(y.shape, [1, 3, 2, 1]);
    const got = Array.from(y.dataSync());
    const want = [...r0, ...r1, ...r2];
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${backend} [${i}] ${v} vs ${want[i]}`));
    tf.dispose([x, y]);
  }
  assert.equal(adaptiveBin(1, 5, 3), [1, 4]);
  assert.equal(adaptiveBin(5, 1, 6), [0, 1]);
});

test('adaptiveAvgPool2d: simd native = composite (values and gradients), odd channel counts', async () => {
  for (const [shape, out] of [[[2, 13, 11, 13], [6, 6]], [[1, 5, 7, 4], [7, 7]], [[3, 4, 9, 17], [3, 4]],
    [[1, 8, 8, 5], [4, 4]], [[2, 7, 5, 3], [1, 1]], [[1, 6, 6, 9], [6, 2]]] as Array<[number[], [number, number]]>) {
    const n = shape.reduce((a, b) => a * b, 1);
    const outN = shape[0] * out[0] * out[1] * shape[3];
    await expectSameAsCpu([{ shape, values: randomArray(n, 3) }, { shape: [shape[0], out[0], out[1], shape[3]], values: randomArray(outN, 4) }],
      (x, dy) => {
        const y = adaptiveAvgPool2d(x, out);
        const g = tf.grad((xi: tf.Tensor) => adaptiveAvgPool2d(xi, out))(x, dy);
        return [y, g];
      }, { atol: 1e-6, rtol: 1e-5 }, `adaptive ${shape} -> ${out}`);
  }
});

test('avgPool2dTorch: simd native = composite (values and gradients), ceil mode and both divisors', async () => {
  const shape = [2, 9, 10, 7];
  const n = shape.reduce((a, b) => a * b, 1);
  for (const [k, s, p, ceil, incl] of [[3, 2, 1, true, true], [3, 2, 1, true, false], [2, 2, 1, true, true],
    [3, 3, 1, true, false], [3, 1, 1, false, true], [3, 1, 1, false, false], [2, 2, 0, true, true], [3, 2, 0, false, true]] as Array<[number, number, number, boolean, boolean]>) {
    const oh = torchPoolOutSize(9, k, s, p, 1, ceil);
    const ow = torchPoolOutSize(10, k, s, p, 1, ceil);
    await expectSameAsCpu([{ shape, values: randomArray(n, 5) }, { shape: [2, oh, ow, 7], values: randomArray(2 * oh * ow * 7, 6) }],
      (x, dy) => {
        const f = (xi: tf.Tensor) => avgPool2dTorch(xi, k, { stride: s, padding: p, ceilMode: ceil, countIncludePad: incl });
        return [f(x), tf.grad(f)(x, dy)];
      }, { atol: 1e-6, rtol: 1e-5 }, `avg k${k} s${s} p${p} ceil=${ceil} incl=${incl}`);
  }
});

test('avgPool2dTorch gradient matches the hand-derived PyTorch gradient (count_include_pad, ceil)', async () => {
  // 1x3x3x1, k=2, s=2, p=1, ceil: ceil((3+2-2)/2)+1 = 3, but window 2 would start at 2*2-1 = 3 >= 3 (in the
  // bottom padding) -> dropped: 2x2. Windows [-1,1), [1,3); divisors clipped to [-1, 4): 2·2 = 4 each.
  const oh = torchPoolOutSize(3, 2, 2, 1, 1, true);
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const f = (xi: tf.Tensor) => avgPool2dTorch(xi, 2, { stride: 2, padding: 1, ceilMode: true, countIncludePad: true });
    const y = f(x);
    assert.equal(y.shape, [1, oh, oh, 1]);
    // windows rows [-1,1),[1,3); divisor = window clipped to [-1, 4): 2 taps each way -> 4
    const want = [1 / 4, (2 + 3) / 4, (4 + 7) / 4, (5 + 6 + 8 + 9) / 4];
    Array.from(y.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${backend} y[${i}] ${v} vs ${want[i]}`));
    const g = tf.grad(f)(x, tf.ones(y.shape));
    Array.from(g.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - 0.25) < 1e-6, `${backend} dx[${i}] ${v}`));
    tf.dispose([x, y, g]);
  }
});

test('maxPool2dTorch: simd = cpu incl. gradients; dilation composite = hand-computed', async () => {
  const shape = [1, 9, 10, 6];
  const n = shape.reduce((a, b) => a * b, 1);
  for (const [k, s, p, d, ceil] of [[3, 2, 0, 1, true], [3, 2, 1, 1, true], [2, 2, 1, 1, true], [3, 2, 1, 2, false], [2, 1, 1, 3, true]] as Array<[number, number, number, number, boolean]>) {
    const oh = torchPoolOutSize(9, k, s, p, d, ceil);
    const ow = torchPoolOutSize(10, k, s, p, d, ceil);
    await expectSameAsCpu([{ shape, values: randomArray(n, 7) }, { shape: [1, oh, ow, 6], values: randomArray(oh * ow * 6, 8) }],
      (x, dy) => {
        const f = (xi: tf.Tensor) => maxPool2dTorch(xi, k, { stride: s, padding: p, dilation: d, ceilMode: ceil });
        return [f(x), tf.grad(f)(x, dy)];
      }, {}, `max k${k} s${s} p${p} d${d} ceil=${ceil}`);
  }
  await tf.setBackend('cpu');
  // dilation 2, k 2, stride 1 on 1x4x4: taps (i, i+2)
  const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => (i * 7) % 16), [1, 4, 4, 1]);
  const y = maxPool2dTorch(x, 2, { stride: 1, dilation: 2 });
  const xv = x.dataSync();
  const want: number[] = [];
  for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) want.push(Math.max(xv[r * 4 + c], xv[r * 4 + c + 2], xv[(r + 2) * 4 + c], xv[(r + 2) * 4 + c + 2]));
  assert.equal(Array.from(y.dataSync()), want);
  tf.dispose([x, y]);
});

test('conv2dGroups: simd = cpu incl. gradients, depthwise and split paths', async () => {
  for (const [cin, cout, g, s, p, d] of [[4, 6, 2, 1, 1, 1], [6, 6, 3, 2, 1, 1], [4, 8, 4, 1, 1, 1], [3, 6, 3, 2, 1, 1], [4, 4, 1, 1, 0, 1]]) {
    const xs = [2, 7, 8, cin];
    const fs = [3, 3, cin / g, cout];
    const nx = xs.reduce((a, b) => a * b, 1);
    const nf = fs.reduce((a, b) => a * b, 1);
    await expectSameAsCpu([{ shape: xs, values: randomArray(nx, 9) }, { shape: fs, values: randomArray(nf, 10) }, { shape: [cout], values: randomArray(cout, 11) }],
      (x, f, b) => tf.tidy(() => {
        const fn = (xi: tf.Tensor, fi: tf.Tensor) => conv2dGroups(xi, fi, g, { stride: s, padding: p, dilation: d, bias: b });
        const y = fn(x, f);
        const [gx, gf] = tf.grads((xi: tf.Tensor, fi: tf.Tensor) => fn(xi, fi))([x, f], tf.onesLike(y));
        return [y, gx, gf];
      }), { atol: 1e-4, rtol: 1e-4 }, `conv groups=${g} cin=${cin} cout=${cout}`);
  }
});

test('ops: PyTorch-style errors', async () => {
  await tf.setBackend('cpu');
  const x = tf.zeros([1, 5, 5, 2]);
  assert.throws(() => maxPool2dTorch(x, 2, { padding: 2 }), /at most half/);
  assert.throws(() => avgPool2dTorch(x, 7), /Output size is too small/);
  assert.throws(() => adaptiveAvgPool2d(x, [0, 2]), /integers >= 1/);
  assert.throws(() => adaptiveAvgPool2d(tf.zeros([5, 5, 2]), 2), /rank-4 NHWC/);
  assert.throws(() => conv2dGroups(x, tf.zeros([3, 3, 2, 4]), 2), /expected filter \[3, 3, 1, 4\]/);
  assert.throws(() => conv2dGroups(x, tf.zeros([3, 3, 1, 3]), 2), /out_channels \(3\) must be divisible by groups \(2\)/);
  assert.throws(() => conv2dGroups(x, tf.zeros([3, 3, 1, 4]), { groups: 2 } as never), /groups \(the third argument, conv2dGroups\(x, filter, groups, opts\)\) must be an integer >= 1, got \{"groups":2\}/);
  tf.dispose(x);
});

test('nn layers: MaxPool2d / AvgPool2d honour ceilMode, countIncludePad, dilation; AdaptiveAvgPool2d', async () => {
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    const x = tf.tensor4d(randomArray(2 * 7 * 9 * 3, 12), [2, 7, 9, 3]);
    const pairs: Array<[tf.Tensor, tf.Tensor]> = [
      [new MaxPool2d(3, { stride: 2, ceilMode: true }).call(x), maxPool2dTorch(x, 3, { stride: 2, ceilMode: true })],
      [new MaxPool2d(2, { stride: 1, dilation: 2, padding: 1 }).call(x), maxPool2dTorch(x, 2, { stride: 1, dilation: 2, padding: 1 })],
      [new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }).call(x),
        avgPool2dTorch(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false })],
      [new AvgPool2d(2, { divisorOverride: 3 }).call(x), avgPool2dTorch(x, 2, { divisorOverride: 3 })],
      [new AdaptiveAvgPool2d([3, null]).call(x), adaptiveAvgPool2d(x, [3, 9])],
      [new AdaptiveAvgPool2d(5).call(x), adaptiveAvgPool2d(x, [5, 5])],
    ];
    assert.equal(pairs[0][0].shape, [2, 3, 4, 3]);
    for (const [a, b] of pairs) {
      assert.equal(a.shape, b.shape);
      assert.equal(Array.from(a.dataSync()), Array.from(b.dataSync()));
    }
    tf.dispose([x, ...pairs.flat()]);
  }
  assert.is(new MaxPool2d(3, { stride: 2, ceilMode: true }).toString(), 'MaxPool2d(kernel_size=(3, 3), stride=(2, 2), padding=(0, 0), dilation=1, ceil_mode=True)');
  assert.is(new AdaptiveAvgPool2d([6, 6]).toString(), 'AdaptiveAvgPool2d(output_size=(6, 6))');
  assert.is(new AdaptiveAvgPool2d(1).toString(), 'AdaptiveAvgPool2d(output_size=1)');
  assert.throws(() => new AdaptiveAvgPool2d(0), /outputSize/);
  assert.throws(() => new MaxPool2d(2, { returnIndices: true }), /not supported yet/);
});

test('simd native pooling ops leave no tensors behind (forward and backward)', async () => {
  await tf.setBackend('simd');
  const x = tf.tensor4d(randomArray(1 * 9 * 10 * 5, 13), [1, 9, 10, 5]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const y = tf.tidy(() => {
      const f = (t: tf.Tensor) => tf.sum(adaptiveAvgPool2d(avgPool2dTorch(t, 3, { stride: 2, padding: 1, ceilMode: true }), [3, 2]));
      return tf.grad(f)(x);
    });
    y.dispose();
  }
  assert.is(tf.memory().numTensors, before);
  x.dispose();
});

test.run();
