// Conv2DBackpropInput / Conv2DBackpropFilter on simd against tfjs-backend-cpu: gradients of
// conv2d through tf.grads (strides, every pad kind, filter sizes, channel counts that are and are
// not multiples of the SIMD tiles, odd sizes, batches), conv2dTranspose (U-Net/FCN upsampling),
// dimRoundingMode, zero-size tensors, delegation, error messages, the packed-filter cache and leaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { simdBackend } from '../src/index';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
const TOL = { atol: 1e-4, rtol: 1e-4 };
const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];

test.before(async () => {
  assert.ok(await tf.setBackend('simd'), 'simd backend initializes');
});

/** Inputs x, w, dy (random) for a conv2d case; dy has the forward output's shape. */
function convCase(xShape: number[], wShape: number[], strides: number, pad: Pad, rounding: Rounding, seed: number) {
  type Shape4 = [number, number, number, number];
  const cpuOut = tf.backend_util.computeConv2DInfo(xShape as Shape4, wShape as Shape4, strides, 1,
      pad, rounding).outShape;
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return [
    { shape: xShape, values: randomArray(size(xShape), seed) },
    { shape: wShape, values: randomArray(size(wShape), seed + 1) },
    { shape: cpuOut, values: randomArray(size(cpuOut), seed + 2) },
  ];
}

/** tf.grads of f(x, w) over two 4-D tensors (tfjs types the function over Tensor[]). */
const grads4 = (f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor) =>
  tf.grads((...args: tf.Tensor[]) => f(args[0] as tf.Tensor4D, args[1] as tf.Tensor4D));

/** ∂/∂x and ∂/∂w of Σ dy ⊙ conv2d(x, w): both backprop kernels with a random upstream gradient. */
const convGrads = (strides: number, pad: Pad, rounding?: Rounding) => (x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor) =>
  grads4((a, b) => tf.conv2d(a, b, strides, pad, 'NHWC', 1, rounding))([x, w], dy);

// A grid over filter size × stride × pad kind; channels, spatial size and batch rotate through
// values that are and are not multiples of the SIMD tiles (4 and 8) and odd sizes.
const KERNELS = [1, 2, 3, 5];
const STRIDES = [1, 2, 3];
const PADS: Pad[] = ['same', 'valid', 1, 2, explicit(1, 2, 0, 1), explicit(2, 0, 3, 1)];
const CHANNELS: [number, number][] = [[1, 1], [3, 5], [8, 8], [13, 3], [5, 13], [1, 8], [8, 13], [3, 1]];
const SIZES: [number, number][] = [[7, 9], [9, 7], [11, 5], [5, 6]];

let caseNo = 0;
for (const k of KERNELS) {
  test(`conv2d gradients dx, dw: ${k}×${k} filters, strides 1/2/3, pads same/valid/1/2/explicit`, async () => {
    for (const s of STRIDES) {
      for (const pad of PADS) {
        const i = caseNo++;
        const [ci, co] = CHANNELS[i % CHANNELS.length];
        const [h, w] = SIZES[i % SIZES.length];
        const n = i % 3 === 0 ? 3 : 1;
        const label = `x=[${n},${h},${w},${ci}] w=[${k},${k},${ci},${co}] s=${s} pad=${JSON.stringify(pad)}`;
        await expectSameAsCpu(convCase([n, h, w, ci], [k, k, ci, co], s, pad, undefined, i), convGrads(s, pad), TOL, label);
      }
    }
  });
}

test('gradient of sum(conv2d) (upstream ones), batch 3, 3×3 stride 2 same', async () => {
  const inputs = convCase([3, 9, 9, 5], [3, 3, 5, 8], 2, 'same', undefined, 7).slice(0, 2);
  await expectSameAsCpu(inputs, (x, w) => grads4((a, b) =>
    tf.conv2d(a, b, 2, 'same').sum())([x, w]), TOL, 'sum');
});

test('non-square strides and filters: [2,1] and [1,3], 3×2 filter', async () => {
  for (const strides of [[2, 1], [1, 3]] as [number, number][]) {
    for (const pad of ['same', 'valid', explicit(1, 0, 0, 2)] as Pad[]) {
      const x = { shape: [2, 8, 7, 5], values: randomArray(2 * 8 * 7 * 5, 3) };
      const w = { shape: [3, 2, 5, 9], values: randomArray(3 * 2 * 5 * 9, 4) };
      await expectSameAsCpu([x, w], (a, b) => grads4((p, q) =>
        tf.conv2d(p, q, strides, pad).square().sum())([a, b]), TOL, `strides ${strides} pad ${JSON.stringify(pad)}`);
    }
  }
});

test('larger channel counts (multi-block tiles): Cin 20, Cout 36, 3×3 stride 1 and 2', async () => {
  for (const s of [1, 2]) {
    await expectSameAsCpu(convCase([2, 10, 9, 20], [3, 3, 20, 36], s, 'same', undefined, 11), convGrads(s, 'same'), TOL, `s=${s}`);
  }
});

test('filter gradient in several cache passes whose rows span images: x [3,40,37,4], Cout 12', async () => {
  for (const s of [1, 2]) {
    await expectSameAsCpu(convCase([3, 40, 37, 4], [3, 3, 4, 12], s, 'same', undefined, 31), convGrads(s, 'same'), TOL, `s=${s}`);
  }
});

test('negative explicit pads (a cropping conv) and images smaller than the stride', async () => {
  for (const pad of [explicit(-1, 2, 1, -1), explicit(0, 0, -2, -1)]) {
    await expectSameAsCpu(convCase([2, 7, 8, 3], [3, 3, 3, 5], 2, pad, undefined, 41), convGrads(2, pad), TOL, JSON.stringify(pad));
  }
  await expectSameAsCpu(convCase([2, 1, 2, 3], [3, 3, 3, 4], 3, 'same', undefined, 43), convGrads(3, 'same'), TOL, '1×2 image, stride 3');
});

test('conv2dTranspose: kernel 2/3/4, stride 2, same/valid (U-Net / FCN upsampling)', async () => {
  for (const k of [2, 3, 4]) {
    for (const pad of ['same', 'valid'] as const) {
      for (const [cin, cout] of [[8, 4], [5, 3], [16, 13]]) {
        const [h, w] = [5, 6];
        const oh = pad === 'same' ? h * 2 : (h - 1) * 2 + k;
        const ow = pad === 'same' ? w * 2 : (w - 1) * 2 + k;
        const x = { shape: [2, h, w, cin], values: randomArray(2 * h * w * cin, k) };
        const f = { shape: [k, k, cout, cin], values: randomArray(k * k * cout * cin, k + 10) };
        await expectSameAsCpu([x, f], (a, b) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, oh, ow, cout], 2, pad),
            TOL, `k=${k} ${pad} ${cin}->${cout}`);
      }
    }
  }
});

test('conv2dTranspose: rank-3 input, stride 1 and 3, numeric pad', async () => {
  const x = { shape: [4, 5, 3], values: randomArray(60, 5) };
  const f = { shape: [3, 3, 2, 3], values: randomArray(54, 6) };
  await expectSameAsCpu([x, f], (a, b) => tf.conv2dTranspose(a as tf.Tensor3D, b as tf.Tensor4D, [4, 5, 2], 1, 'same'), TOL, 's1');
  await expectSameAsCpu([x, f], (a, b) => tf.conv2dTranspose(a as tf.Tensor3D, b as tf.Tensor4D, [10, 13, 2], 3, 1), TOL, 's3 p1');
});

test('conv2dTranspose gradients (Conv2DBackpropInput as the forward op)', async () => {
  const x = { shape: [1, 4, 5, 6], values: randomArray(120, 8) };
  const f = { shape: [3, 3, 5, 6], values: randomArray(270, 9) };
  await expectSameAsCpu([x, f], (a, b) => grads4((p, q) =>
    tf.conv2dTranspose(p, q, [1, 8, 10, 5], 2, 'same').square().sum())([a, b]), TOL, 'grads');
});

test('dimRoundingMode: direct kernels with floor/round/ceil match cpu', async () => {
  // in 8, k 3, s 2, pad 1: (8 − 3 + 2)/2 + 1 = 4.5 → floor 4, round/ceil 5
  for (const rounding of ['floor', 'round', 'ceil'] as const) {
    const out = rounding === 'floor' ? 4 : 5;
    const x = { shape: [2, 8, 8, 3], values: randomArray(384, 1) };
    const dy = { shape: [2, out, out, 5], values: randomArray(2 * out * out * 5, 2) };
    const w = { shape: [3, 3, 3, 5], values: randomArray(135, 3) };
    const attrs = { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: rounding };
    await expectSameAsCpu([x, dy], (a, b) => tf.engine().runKernel('Conv2DBackpropFilter', { x: a, dy: b },
        { ...attrs, filterShape: [3, 3, 3, 5] } as unknown as tf.NamedAttrMap) as tf.Tensor, TOL, `dw ${rounding}`);
    await expectSameAsCpu([dy, w], (a, b) => tf.engine().runKernel('Conv2DBackpropInput', { dy: a, filter: b },
        { ...attrs, inputShape: [2, 8, 8, 3] } as unknown as tf.NamedAttrMap) as tf.Tensor, TOL, `dx ${rounding}`);
  }
});

test("dimRoundingMode through tf.grads: same as cpu (tfjs' Conv2D gradient drops the mode)", async () => {
  // in 8×7, k 3, s 2, pad 1: ceil gives 5×4, the gradient kernels see trunc's 4×4 and crop dy
  // (tfjs-core/src/gradients/Conv2D_grad.ts does not pass dimRoundingMode on) — as cpu does.
  for (const rounding of ['ceil', 'round', 'floor'] as const) {
    await expectSameAsCpu(convCase([3, 8, 7, 5], [3, 3, 5, 8], 2, 1, rounding, 21), convGrads(2, 1, rounding), TOL, rounding);
  }
});

test('dy larger than the conv output is read through its top-left window, as on cpu', async () => {
  // tfjs-core's spec "conv2dTranspose input=8x8x8,output=4x4x8 … p=same" relies on this
  const x = { shape: [2, 7, 9, 6], values: randomArray(2 * 7 * 9 * 6, 4) };
  const f = { shape: [3, 3, 5, 6], values: randomArray(3 * 3 * 5 * 6, 5) };
  await expectSameAsCpu([x, f], (a, b) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, 5, 6, 5], 1, 'same'), TOL, 'dx');
  const xi = { shape: [2, 5, 6, 5], values: randomArray(2 * 5 * 6 * 5, 6) };
  await expectSameAsCpu([xi, x], (a, b) => tf.engine().runKernel('Conv2DBackpropFilter', { x: a, dy: b },
      { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 5, 6] } as unknown as tf.NamedAttrMap) as tf.Tensor, TOL, 'dw');
});

test('zero-size: empty batch, empty channels, empty dy give empty or zero outputs', () => {
  const be = simdBackend();
  const start = be.memory().heapBytesInUse;
  const base = { strides: 1, pad: 'valid', dataFormat: 'NHWC' };
  const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: object) =>
    tf.engine().runKernel(name, inputs, { ...base, ...attrs } as tf.NamedAttrMap) as tf.Tensor;
  tf.tidy(() => {
    // empty batch
    const dx0 = run('Conv2DBackpropInput', { dy: tf.zeros([0, 3, 3, 2]), filter: tf.ones([2, 2, 4, 2]) }, { inputShape: [0, 4, 4, 4] });
    assert.equal(dx0.shape, [0, 4, 4, 4]);
    // no output channels: dx is all zeros
    const dx1 = run('Conv2DBackpropInput', { dy: tf.zeros([1, 3, 3, 0]), filter: tf.zeros([2, 2, 4, 0]) }, { inputShape: [1, 4, 4, 4] });
    assert.equal(Array.from(dx1.dataSync()), new Array(64).fill(0));
    // filter gradient over an empty batch is zero
    const dw0 = run('Conv2DBackpropFilter', { x: tf.zeros([0, 4, 4, 3]), dy: tf.zeros([0, 3, 3, 2]) }, { filterShape: [2, 2, 3, 2] });
    assert.equal(Array.from(dw0.dataSync()), new Array(24).fill(0));
    // no input channels: empty dw
    const dw1 = run('Conv2DBackpropFilter', { x: tf.zeros([1, 4, 4, 0]), dy: tf.zeros([1, 3, 3, 2]) }, { filterShape: [2, 2, 0, 2] });
    assert.equal(dw1.shape, [2, 2, 0, 2]);
    // filter larger than the padded input: the conv has 0×0 output; dx is zero, dw is zero
    const dx2 = run('Conv2DBackpropInput', { dy: tf.zeros([1, 0, 0, 2]), filter: tf.ones([5, 5, 3, 2]) }, { inputShape: [1, 4, 4, 3] });
    assert.equal(Array.from(dx2.dataSync()), new Array(48).fill(0));
    const dw2 = run('Conv2DBackpropFilter', { x: tf.ones([1, 4, 4, 3]), dy: tf.zeros([1, 0, 0, 2]) }, { filterShape: [5, 5, 3, 2] });
    assert.equal(Array.from(dw2.dataSync()), new Array(150).fill(0));
  });
  assert.is(be.memory().heapBytesInUse, start, 'heap bytes back to start');
});

test('NCHW and int32 inputs are delegated to cpu and still match', async () => {
  const x = { shape: [2, 3, 6, 5], values: randomArray(180, 1) };
  const w = { shape: [3, 3, 3, 4], values: randomArray(108, 2) };
  await expectSameAsCpu([x, w], (a, b) => grads4((p, q) =>
    tf.conv2d(p, q, 1, 'same', 'NCHW').sum())([a, b]), TOL, 'NCHW');
  const dy = { shape: [1, 3, 3, 2], values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9], dtype: 'int32' as const };
  const f = { shape: [2, 2, 3, 2], values: randomArray(24, 3) };
  await expectSameAsCpu([dy, f], (a, b) => tf.engine().runKernel('Conv2DBackpropInput', { dy: a, filter: b },
      { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [1, 4, 4, 3] } as unknown as tf.NamedAttrMap) as tf.Tensor, TOL, 'int32 dy');
});

test('bad inputs: clear errors naming kernel, tensor and shapes; failing calls allocate nothing', () => {
  const be = simdBackend();
  const [dy, f, x, dy3, dyShort, dyWide, x3] = [[1, 3, 3, 2], [2, 2, 4, 2], [1, 4, 4, 4], [3, 3, 2], [1, 2, 3, 2], [1, 3, 3, 5], [4, 4, 4]]
      .map(s => tf.zeros(s));
  const heap = be.memory().heapBytesInUse, ids = be.numDataIds();
  const bi = (inputs: Record<string, tf.Tensor>, attrs: object) =>
    () => tf.engine().runKernel('Conv2DBackpropInput', inputs, { strides: 1, pad: 'valid', dataFormat: 'NHWC', ...attrs } as tf.NamedAttrMap);
  const bf = (inputs: Record<string, tf.Tensor>, attrs: object) =>
    () => tf.engine().runKernel('Conv2DBackpropFilter', inputs, { strides: 1, pad: 'valid', dataFormat: 'NHWC', ...attrs } as tf.NamedAttrMap);
  for (let rep = 0; rep < 10; rep++) {
    assert.throws(bi({ dy: dy3, filter: f }, { inputShape: [1, 4, 4, 4] }), /Conv2DBackpropInput: dy must be rank 4, got rank 3/);
    assert.throws(bi({ dy, filter: f }, { inputShape: [1, 4, 4, 4, 1] }), /Conv2DBackpropInput: attr inputShape must have length 4/);
    assert.throws(bi({ dy, filter: f }, { inputShape: [1, 4, 4, 5] }), /Conv2DBackpropInput: filter \[2,2,4,2\] has 4 input channels, inputShape \[1,4,4,5\] has 5/);
    assert.throws(bi({ dy: dyShort, filter: f }, { inputShape: [1, 4, 4, 4] }), /Conv2DBackpropInput: dy must have shape \[1,3,3,2\].*got \[1,2,3,2\]/);
    assert.throws(bi({ dy, filter: f }, { inputShape: [1, 4, 4, 4], strides: 0 }), /Conv2DBackpropInput: strides must be positive integers/);
    assert.throws(bf({ x, dy }, { filterShape: [2, 2, 3, 2] }), /Conv2DBackpropFilter: filterShape \[2,2,3,2\] has 3 input channels, x \[1,4,4,4\] has 4/);
    assert.throws(bf({ x, dy: dyWide }, { filterShape: [2, 2, 4, 2] }), /Conv2DBackpropFilter: dy must have shape \[1,3,3,2\].*got \[1,3,3,5\]/);
    assert.throws(bf({ x, dy }, { filterShape: [2, 2, 4] }), /Conv2DBackpropFilter: attr filterShape must have length 4/);
    assert.throws(bf({ x: x3, dy }, { filterShape: [2, 2, 4, 2] }), /Conv2DBackpropFilter: x must be rank 4/);
  }
  assert.is(be.numDataIds(), ids, 'no tensor made by a failing call survives');
  assert.is(be.memory().heapBytesInUse, heap, 'no heap bytes held by failing calls');
  tf.dispose([dy, f, x, dy3, dyShort, dyWide, x3]);
});

test('packed filter: reused across calls, freed with the filter (heap back to start)', () => {
  const be = simdBackend();
  const start = be.memory();
  const w = tf.tensor4d(randomArray(2 * 2 * 16 * 24, 1), [2, 2, 16, 24]);
  const x = tf.tensor4d(randomArray(1 * 5 * 5 * 24, 2), [1, 5, 5, 24]);
  const first = tf.conv2dTranspose(x, w, [1, 10, 10, 16], 2, 'same');
  const packed = be.memory().packedBytes - start.packedBytes;
  assert.ok(packed >= 2 * 2 * 16 * 24 * 4, `a packed copy was cached (${packed} bytes)`);
  for (let i = 0; i < 5; i++) {
    const again = tf.conv2dTranspose(x, w, [1, 10, 10, 16], 2, 'same');
    assert.equal(Array.from(again.dataSync()), Array.from(first.dataSync()));
    again.dispose();
  }
  assert.is(be.memory().packedBytes - start.packedBytes, packed, 'no second packed copy');
  tf.dispose([first, x, w]);
  assert.is(be.memory().packedBytes, start.packedBytes, 'packed copy freed with the filter');
  assert.is(be.memory().heapBytesInUse, start.heapBytesInUse, 'heap bytes back to start');
});

test('no leak over many calls, including failing ones (tensors and heap bytes)', () => {
  const be = simdBackend();
  const x = tf.tensor4d(randomArray(2 * 7 * 7 * 3, 1), [2, 7, 7, 3]);
  const w = tf.tensor4d(randomArray(3 * 3 * 3 * 5, 2), [3, 3, 3, 5]);
  const grads = grads4((a, b) => tf.conv2d(a, b, 2, 'same').square().sum());
  tf.dispose(grads([x, w]));  // warm up every cache
  const tensors = tf.memory().numTensors, heap = be.memory().heapBytesInUse;
  for (let i = 0; i < 30; i++) {
    tf.dispose(grads([x, w]));
    assert.throws(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: x },
        { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 5] } as unknown as tf.NamedAttrMap), /dy must have shape/);
  }
  assert.is(tf.memory().numTensors, tensors, 'no tensor leak');
  assert.is(be.memory().heapBytesInUse, heap, 'no heap leak');
  tf.dispose([x, w]);
});

test.run();
