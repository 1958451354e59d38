// adaptiveMaxPool2d and spatial pyramid pooling (SPP-net) against PyTorch 1.13
// (tests/fixtures/torch/spp.safetensors, gen_spp.py): values and input gradients on `cpu`
// (composite path) and `simd` (native kernels), native vs composite parity on shapes with channel
// tails, the nn modules, an SPP classifier that trains on two input sizes, bad-input errors, leaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { randomArray } from './helpers';
import { loadTorchFixture, fixtureF32, nchwToNhwc, nhwcToNchw } from './zoo_helpers';
import { adaptiveMaxPool2d, adaptiveMaxPool2dWithIndices, spatialPyramidPool } from '../src/ops/index.js';
import { AdaptiveMaxPool2d, Linear, SpatialPyramidPooling } from '../src/nn/index.js';

interface Case { name: string; op: string; params: Record<string, any>; tensors: Record<string, string> }

const fixture = await loadTorchFixture('spp');
const cases: Case[] = JSON.parse(fixture.metadata.cases);

const get = (name: string) => fixtureF32(fixture, name, 'spp.safetensors');

/** An int64 tensor of the fixture (torch's indices) as numbers. */
function getI64(name: string): { shape: number[]; data: number[] } {
  const t = fixture.tensors.get(name);
  if (t == null || t.dtype !== 'I64') throw new Error(`spp.safetensors: tensor ${name} missing or not I64`);
  return { shape: t.shape, data: Array.from(t.data as ArrayLike<bigint>, (v) => Number(v)) };
}

/** Bit-level equality as Object.is (NaN = NaN, −0 ≠ +0). */
function same(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  assert.is(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.unreachable(`${label}[${i}]: got ${Object.is(got[i], -0) ? '-0' : got[i]} want ${Object.is(want[i], -0) ? '-0' : want[i]}`);
}

function exact(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  assert.is(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) assert.unreachable(`${label}[${i}]: got ${got[i]} want ${want[i]}`);
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, label: string, tol = 1e-6): void {
  assert.is(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) assert.unreachable(`${label}[${i}]: got ${got[i]} want ${want[i]}`);
  }
}

/** Runs a case's forward and the gradient of sum(y * gy) w.r.t. x; returns NCHW-ordered arrays. */
function runCase(c: Case): { y: Float32Array; dx: Float32Array } {
  const x = get(c.tensors.input);
  const gy = get(c.tensors.grad_output);
  return tf.tidy(() => {
    const xt = nchwToNhwc(x.data, x.shape);
    const fwd = (t: tf.Tensor) => (c.op === 'spp'
      ? spatialPyramidPool(t, { levels: c.params.levels })
      : adaptiveMaxPool2d(t, c.params.output_size as [number, number]));
    const y = fwd(xt);
    const gyT = c.op === 'spp' ? tf.tensor(gy.data, gy.shape) : nchwToNhwc(gy.data, gy.shape);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fwd(t), gyT)))(xt);
    return {
      y: (c.op === 'spp' ? y : nhwcToNchw(y as tf.Tensor4D)).dataSync() as Float32Array,
      dx: nhwcToNchw(dx as tf.Tensor4D).dataSync() as Float32Array,
    };
  });
}

for (const backend of ['simd', 'cpu']) {
  test(`adaptiveMaxPool2d / spatialPyramidPool = PyTorch on ${backend} (values exact, gradients)`, async () => {
    assert.ok(await tf.setBackend(backend));
    const before = tf.memory().numTensors;
    let n = 0;
    for (const c of cases.filter((c) => c.op === 'adaptive_max_pool2d' || c.op === 'spp')) {
      const { y, dx } = runCase(c);
      exact(y, get(c.tensors.output).data, `${backend} ${c.name} output`);
      const wantDx = get(c.tensors.grad_input).data;
      // simd: PyTorch's argmax rule and accumulation order, so exact; cpu: tfjs's Max/MaxPool
      // gradients (same on untied inputs up to summation order; on ties tfjs gives every tied input dy)
      if (backend === 'simd') exact(dx, wantDx, `${backend} ${c.name} grad`);
      else if (!c.params.ties) close(dx, wantDx, `${backend} ${c.name} grad`);
      n++;
    }
    assert.is(n, 11);
    assert.is(tf.memory().numTensors, before, 'no tensor leak');
  });
}

for (const backend of ['simd', 'cpu']) {
  test(`adaptiveMaxPool2d returnIndices = PyTorch return_indices=True on ${backend} (indices and values exact: ties, NaN, ±0, −inf; value gradients)`, async () => {
    assert.ok(await tf.setBackend(backend));
    const before = tf.memory().numTensors;
    const withIdx = cases.filter((c) => c.tensors.indices != null);
    assert.is(withIdx.length, 16);
    for (const c of withIdx) {
      const x = get(c.tensors.input);
      const size = c.params.output_size as [number, number];
      const xt = nchwToNhwc(x.data, x.shape);
      const [y, idx] = adaptiveMaxPool2d(xt, size, { returnIndices: true });
      assert.is(y.dtype, 'float32');
      assert.is(idx.dtype, 'int32');
      assert.equal(idx.shape, [x.shape[0], size[0], size[1], x.shape[1]], `${c.name}: NHWC [N, outH, outW, C]`);
      const [yn, idn] = tf.tidy(() => [nhwcToNchw(y).dataSync(), nhwcToNchw(idx).dataSync()]);
      exact(idn, getI64(c.tensors.indices).data, `${backend} ${c.name} indices`);
      same(yn, get(c.tensors.output).data, `${backend} ${c.name} values`);
      if (c.tensors.grad_input) {
        // the values' gradient goes to the returned index (accumulated over overlapping bins), as ATen
        const gy = get(c.tensors.grad_output);
        const dx = tf.tidy(() => {
          const gyT = nchwToNhwc(gy.data, gy.shape);
          const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(adaptiveMaxPool2dWithIndices(t, size)[0], gyT)))(xt);
          return nhwcToNchw(g).dataSync();
        });
        if (backend === 'simd') exact(dx, get(c.tensors.grad_input).data, `${backend} ${c.name} grad`);
        else close(dx, get(c.tensors.grad_input).data, `${backend} ${c.name} grad`);
      }
      tf.dispose([xt, y, idx]);
    }
    assert.is(tf.memory().numTensors, before, 'no tensor leak');
  });
}

test('adaptiveMaxPool2d returnIndices: empty batch / no channels give empty values and int32 indices of the output shape; bad sizes named', async () => {
  for (const backend of ['simd', 'cpu']) {
    await tf.setBackend(backend);
    for (const shape of [[0, 4, 4, 1], [0, 5, 3, 0], [0, 4, 4, 3], [2, 4, 4, 0]] as [number, number, number, number][]) {
      tf.tidy(() => {
        const [y, idx] = adaptiveMaxPool2d(tf.zeros(shape), [2, 3], { returnIndices: true }) as [tf.Tensor, tf.Tensor];
        const want = [shape[0], 2, 3, shape[3]];
        assert.equal(y.shape, want, `${backend} values of [${shape}]`);
        assert.equal(idx.shape, want, `${backend} indices of [${shape}]`);
        assert.is(idx.dtype, 'int32');
        assert.is(idx.dataSync().length, 0);
      });
    }
    assert.throws(() => adaptiveMaxPool2d(tf.zeros([1, 4, 4, 1]), NaN), /output sizes must be integers >= 1, got NaN/);
    assert.throws(() => adaptiveMaxPool2d(tf.zeros([1, 4, 4, 1]), [2, 0]), /output sizes must be integers >= 1, got \[2, 0\]/);
  }
});

test('adaptiveMaxPool2d returnIndices: simd native = cpu composite on random quantized shapes; hand-computed; nn module', async () => {
  for (const [nb, h, w, c, oh, ow] of [[2, 7, 9, 3, 3, 4], [1, 5, 5, 6, 3, 3], [2, 4, 3, 9, 9, 7], [1, 13, 11, 37, 4, 5], [3, 1, 1, 2, 2, 3]]) {
    // quantized to 1/2: many ties in every bin
    const xs = randomArray(nb * h * w * c, h * 31 + c).map((v) => Math.round(v * 2) / 2);
    const res: Record<string, [Float32Array, Int32Array]> = {};
    for (const backend of ['simd', 'cpu']) {
      await tf.setBackend(backend);
      res[backend] = tf.tidy(() => {
        const [y, idx] = adaptiveMaxPool2dWithIndices(tf.tensor4d(xs, [nb, h, w, c]), [oh, ow]);
        return [y.dataSync() as Float32Array, idx.dataSync() as Int32Array];
      });
    }
    same(res.simd[0], res.cpu[0], `values ${nb}x${h}x${w}x${c}->${oh}x${ow}`);
    exact(res.simd[1], res.cpu[1], `indices ${nb}x${h}x${w}x${c}->${oh}x${ow}`);
    // and the index points at the value, in its own (n, c) plane
    for (let i = 0; i < res.cpu[1].length; i++) {
      const ch = i % c, b = Math.floor(i / (oh * ow * c));
      assert.is(xs[(b * h * w + res.cpu[1][i]) * c + ch], res.cpu[0][i]);
    }
  }
  for (const backend of ['simd', 'cpu']) {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    // 1×3 row, 2 bins [0, 2) and [1, 3): the tie 5, 5 gives the first (index 1) to both
    const x = tf.tensor4d([1, 5, 5], [1, 1, 3, 1]);
    const [y, idx] = adaptiveMaxPool2d(x, [1, 2], { returnIndices: true });
    assert.equal(Array.from(y.dataSync()), [5, 5]);
    assert.equal(Array.from(idx.dataSync()), [1, 1]);
    // same size: new tensors, indices 0..H·W−1
    const [y2, i2] = adaptiveMaxPool2dWithIndices(x, [1, 3]);
    assert.ok(y2 !== x);
    assert.equal(Array.from(i2.dataSync()), [0, 1, 2]);
    const m = new AdaptiveMaxPool2d([1, 2], { returnIndices: true });
    const [my, mi] = m.forward(x);
    assert.equal(Array.from(mi.dataSync()), [1, 1]);
    assert.equal(Array.from(my.dataSync()), [5, 5]);
    const [cy, ci] = m.call(x);  // in a tidy: both outputs survive
    assert.equal(Array.from(ci.dataSync()), [1, 1]);
    assert.is(m.extraRepr(), 'output_size=(1, 2)');
    const x4 = tf.zeros([1, 4, 4, 1]);
    const plain = new AdaptiveMaxPool2d(2).forward(x4);
    assert.equal(plain.shape, [1, 2, 2, 1], 'returnIndices defaults to false: one tensor');
    tf.dispose([x, y, idx, y2, i2, my, mi, cy, ci, plain, x4]);
    assert.is(tf.memory().numTensors, before, `${backend}: no tensor leak`);
    assert.throws(() => new AdaptiveMaxPool2d(2, { returnIndices: 1 as unknown as boolean }), /returnIndices must be a boolean/);
    const x3 = tf.zeros([4, 4, 3]);
    assert.throws(() => adaptiveMaxPool2dWithIndices(x3, 2), /adaptiveMaxPool2d: expected a rank-4 NHWC input/);
    const x1 = tf.zeros([1, 4, 4, 1]);
    assert.throws(() => adaptiveMaxPool2d(x1, [0, 2], { returnIndices: true }), /output sizes must be integers >= 1/);
    tf.dispose([x3, x1]);
  }
});

test('adaptiveMaxPool2d: simd native = cpu composite on random shapes (C = 1, 5, 8, 37), values and grads', async () => {
  for (const [h, w, c, oh, ow] of [[7, 5, 1, 3, 2], [6, 9, 5, 4, 4], [5, 5, 8, 9, 2], [11, 13, 37, 3, 5], [4, 4, 37, 2, 2]]) {
    const xs = randomArray(2 * h * w * c, h * 100 + c);
    const gys = randomArray(2 * oh * ow * c, 7 + c);
    const res: Record<string, Float32Array[]> = {};
    for (const backend of ['simd', 'cpu']) {
      await tf.setBackend(backend);
      res[backend] = tf.tidy(() => {
        const x = tf.tensor4d(xs, [2, h, w, c]);
        const gy = tf.tensor4d(gys, [2, oh, ow, c]);
        const f = (t: tf.Tensor) => adaptiveMaxPool2d(t, [oh, ow]);
        return [f(x).dataSync() as Float32Array, tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), gy)))(x).dataSync() as Float32Array];
      });
    }
    exact(res.simd[0], res.cpu[0], `values ${h}x${w}x${c}->${oh}x${ow}`);
    close(res.simd[1], res.cpu[1], `grads ${h}x${w}x${c}->${oh}x${ow}`, 1e-5);
  }
  // hand-computed: 1×3 row, 2 bins → [0,2) and [1,3) (floor/ceil overlap)
  await tf.setBackend('simd');
  const y = tf.tidy(() => adaptiveMaxPool2d(tf.tensor4d([1, 5, 2], [1, 1, 3, 1]), [1, 2]).dataSync());
  assert.equal(Array.from(y), [5, 5]);
  const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  assert.is(adaptiveMaxPool2d(x, [2, 2]), x, 'same size returns the input');
  // NaN propagates (ATen: val > max || isnan(val)), in the SIMD lanes and the scalar tail; the
  // gradient goes to the NaN's position (values checked with torch 1.13 by hand)
  const xn = tf.tensor4d([1, NaN, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, NaN], [1, 3, 1, 5]);
  const [yn, gn] = tf.tidy(() => [adaptiveMaxPool2d(xn, [1, 1]).dataSync(),
    tf.grad((t: tf.Tensor) => tf.sum(adaptiveMaxPool2d(t, [1, 1])))(xn).dataSync()]);
  assert.equal(Array.from(yn).map(String), ['11', 'NaN', '13', '14', 'NaN']);
  assert.equal(Array.from(gn), [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1]);
  xn.dispose();
  x.dispose();
});

test('nn.AdaptiveMaxPool2d and nn.SpatialPyramidPooling: forward = op, repr, output length', async () => {
  await tf.setBackend('simd');
  const x = tf.tensor4d(randomArray(2 * 9 * 7 * 3, 4), [2, 9, 7, 3]);
  const m = new AdaptiveMaxPool2d([4, null]);
  const y = m.forward(x);
  assert.equal(y.shape, [2, 4, 7, 3]);
  exact(y.dataSync(), tf.tidy(() => adaptiveMaxPool2d(x, [4, 7]).dataSync()), 'module = op');
  assert.is(m.extraRepr(), 'output_size=(4, None)');
  const spp = new SpatialPyramidPooling([1, 3]);
  const v = spp.forward(x);
  assert.equal(v.shape, [2, spp.outputFeatures(3)]);
  assert.is(spp.outputFeatures(3), 3 * 10);
  // level 1 = global max per channel, first in the vector (channel-major flatten)
  const gmax = tf.tidy(() => tf.max(x, [1, 2]).dataSync());
  const vd = v.dataSync();
  for (let b = 0; b < 2; b++) for (let ch = 0; ch < 3; ch++) assert.is(vd[b * 30 + ch], gmax[b * 3 + ch]);
  assert.is(spp.extraRepr(), 'levels=(1, 3), pool=max');
  const avg = new SpatialPyramidPooling([2], 'avg').forward(x);
  assert.equal(avg.shape, [2, 12]);
  tf.dispose([x, y, v, avg]);
  assert.throws(() => new SpatialPyramidPooling([]), /levels must be a non-empty array/);
  assert.throws(() => new SpatialPyramidPooling([2, 0]), /levels/);
  assert.throws(() => new AdaptiveMaxPool2d(0), /outputSize must be an integer >= 1/);
  assert.throws(() => new AdaptiveMaxPool2d([2, 3, 4] as unknown as [number, number]), /outputSize/);
});

test('adaptiveMaxPool2d / spatialPyramidPool: bad input errors', async () => {
  for (const backend of ['simd', 'cpu']) {
    await tf.setBackend(backend);
    const x3 = tf.zeros([4, 4, 3]);
    const x0 = tf.zeros([1, 0, 4, 3]);
    const x = tf.zeros([1, 4, 4, 3]);
    assert.throws(() => adaptiveMaxPool2d(x3, 2), /adaptiveMaxPool2d: expected a rank-4 NHWC input \[N, H, W, C\], got shape \[4, 4, 3\]/);
    assert.throws(() => adaptiveMaxPool2d(x0, 2), /empty spatial dimension/);
    assert.throws(() => adaptiveMaxPool2d(x, 0), /output sizes must be integers >= 1, got 0/);
    assert.throws(() => adaptiveMaxPool2d(x, [2, -1]), /output sizes must be integers >= 1/);
    assert.throws(() => adaptiveMaxPool2d(x, [2.5, 2]), /output sizes must be integers >= 1/);
    assert.throws(() => spatialPyramidPool(x3), /spatialPyramidPool: expected a rank-4/);
    assert.throws(() => spatialPyramidPool(x, [1, 0]), /levels must be a non-empty array of integers >= 1/);
    assert.throws(() => spatialPyramidPool(x, { levels: [1], pool: 'min' as 'max' }), /pool must be 'max' or 'avg'/);
    tf.dispose([x3, x0, x]);
  }
});

test('SPP classifier trains on two input sizes (gradient flows through adaptiveMaxPool2d on simd)', async () => {
  await tf.setBackend('simd');
  // class = whether the bright spot is in the left or right half; images of 12×12 and 17×15.
  const spp = new SpatialPyramidPooling([1, 2]);
  const fc = new Linear(spp.outputFeatures(1), 2, { seed: 3 });
  const opt = tf.train.adam(0.05);
  const batch = (h: number, w: number, seed: number) => {
    const r = randomArray(16 * 2, seed);
    const xs = new Float32Array(16 * h * w);
    const ys = new Int32Array(16);
    for (let i = 0; i < 16; i++) {
      const right = i % 2;
      const cx = right ? Math.floor(w / 2) + Math.floor(Math.abs(r[i * 2]) * (w / 2 - 1)) : Math.floor(Math.abs(r[i * 2]) * (w / 2 - 1));
      const cy = Math.floor(Math.abs(r[i * 2 + 1]) * (h - 1));
      xs[i * h * w + cy * w + cx] = 1;
      ys[i] = right;
    }
    return { x: tf.tensor4d(xs, [16, h, w, 1]), y: tf.oneHot(tf.tensor1d(ys, 'int32'), 2) };
  };
  const data = [batch(12, 12, 1), batch(17, 15, 2)];
  const loss = () => tf.tidy(() => {
    let l = tf.scalar(0);
    for (const d of data) l = tf.add(l, tf.losses.softmaxCrossEntropy(d.y, fc.forward(spp.forward(d.x)) as tf.Tensor2D));
    return l as tf.Scalar;
  });
  const l0 = tf.tidy(() => loss().dataSync()[0]);
  for (let i = 0; i < 60; i++) tf.dispose(opt.minimize(loss, true));
  const l1 = tf.tidy(() => loss().dataSync()[0]);
  assert.ok(l1 < 0.3 * l0 && l1 < 0.35, `loss ${l0} -> ${l1}`);
  const acc = tf.tidy(() => data.map((d) => tf.mean(tf.cast(tf.equal(tf.argMax(fc.forward(spp.forward(d.x)), 1), tf.argMax(d.y, 1)), 'float32')).dataSync()[0]));
  assert.equal(acc, [1, 1]);
  for (const d of data) tf.dispose([d.x, d.y]);
  opt.dispose();
  fc.dispose();
});

test.run();
