// Segmentation building blocks against PyTorch (tests/fixtures/torch/ops.safetensors:
// F.interpolate bilinear cases and F.conv_transpose2d cases) on `cpu` and `simd`, plus
// interpolate's gradient, scale_factor and nearest rules, Upsample, Dropout2d.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { interpolate } from '../src/ops/index.js';
import { ConvTranspose2d, Dropout2d, Upsample } from '../src/nn/index.js';
import { loadTorchFixture, fixtureF32, nchwToNhwc, nhwcToNchw } from './zoo_helpers';

interface OpCase {
  name: string; op: string; call: string; params: Record<string, any>;
  tensors: Record<string, string>; shapes: Record<string, number[]>;
}
const fixture = await loadTorchFixture('ops');
const cases: OpCase[] = JSON.parse(fixture.metadata.cases);
const tensorOf = (name: string) => fixtureF32(fixture, name, 'ops.safetensors');

/** max |got - want| / max(1, |want|) over the case. */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return e;
}

function runCase(c: OpCase): Float32Array {
  const input = tensorOf(c.tensors.input);
  return tf.tidy(() => {
    const x = nchwToNhwc(input.data, input.shape);
    let y: tf.Tensor;
    if (c.op === 'interpolate_bilinear') {
      y = interpolate(x, { size: c.params.size, mode: 'bilinear', alignCorners: c.params.align_corners });
    } else {
      const w = tensorOf(c.tensors.weight);
      const p = c.params;
      const [cin, coutPerG, kh, kw] = w.shape;
      const m = new ConvTranspose2d(cin, coutPerG * p.groups, [kh, kw], { stride: p.stride, padding: p.padding,
        outputPadding: p.output_padding, groups: p.groups, bias: p.bias });
      const sd: Record<string, { shape: number[]; data: Float32Array }> = { weight: w };
      if (p.bias) sd.bias = tensorOf(c.tensors.bias);
      m.loadStateDict(sd);
      y = m.forward(x);
      m.dispose?.();
    }
    const out = nhwcToNchw(y);
    assert.equal(out.shape, c.shapes.output, `${c.name}: output shape`);
    return out.dataSync() as Float32Array;
  });
}

const report: string[] = [];
for (const backend of ['cpu', 'simd']) {
  test(`PyTorch fixture: interpolate bilinear and conv_transpose2d cases on ${backend}`, async () => {
    assert.ok(await tf.setBackend(backend));
    const mine = cases.filter((c) => c.op === 'interpolate_bilinear' || c.op === 'conv_transpose2d');
    assert.ok(mine.length >= 18, `found ${mine.length} cases`);
    const before = tf.memory().numTensors;
    const bad: string[] = [];
    const worst: Record<string, number> = {};
    for (const c of mine) {
      const e = relErr(runCase(c), tensorOf(c.tensors.output).data);
      worst[c.op] = Math.max(worst[c.op] ?? 0, e);
      if (!(e <= 1e-4)) bad.push(`${c.name} (${c.call}): rel error ${e}`);
    }
    report.push(`${backend}: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
    assert.is(bad.length, 0, bad.join('\n'));
    assert.is(tf.memory().numTensors, before, 'no leaked tensors');
  });
}

/** PyTorch upsample_bilinear2d (align_corners False, scale given) in f64, NHWC. */
function torchBilinearRef(x: Float32Array, [n, h, w, c]: number[], oh: number, ow: number, rh: number, rw: number): Float64Array {
  const out = new Float64Array(n * oh * ow * c);
  const src = (d: number, r: number, size: number) => {
    const s = Math.max(r * (d + 0.5) - 0.5, 0);
    const i0 = Math.floor(s), i1 = i0 < size - 1 ? i0 + 1 : i0;
    return [i0, i1, s - i0];
  };
  let k = 0;
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) {
    const [y0, y1, ly] = src(i, rh, h);
    for (let j = 0; j < ow; j++) {
      const [x0, x1, lx] = src(j, rw, w);
      for (let ch = 0; ch < c; ch++) {
        const at = (yy: number, xx: number) => x[((b * h + yy) * w + xx) * c + ch];
        out[k++] = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
      }
    }
  }
  return out;
}

test('interpolate: scale_factor uses 1/scale (PyTorch), also where tfjs in/out differs', async () => {
  const shape = [2, 5, 7, 3];
  const xv = randomArray(210, 21);
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    for (const [sh, sw] of [[2, 2], [1.7, 2.3], [0.6, 0.45], [3, 1.5]]) {
      const oh = Math.floor(5 * sh), ow = Math.floor(7 * sw);
      const x = tf.tensor4d(xv, shape as [number, number, number, number]);
      const y = interpolate(x, { scaleFactor: [sh, sw], mode: 'bilinear' });
      assert.equal(y.shape, [2, oh, ow, 3]);
      const e = relErr(y.dataSync(), torchBilinearRef(xv, shape, oh, ow, 1 / sh, 1 / sw));
      assert.ok(e < 1e-5, `${backend} scale ${sh}x${sw}: ${e}`);
      tf.dispose([x, y]);
    }
  }
});

test('interpolate nearest: PyTorch legacy rule floor(dst*in/out) (float32 scale)', async () => {
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    const x = tf.tensor4d(Array.from({ length: 15 }, (_, i) => i), [1, 3, 5, 1]);
    const y = interpolate(x, { size: [7, 2] });
    // rows floor(i*3/7): 0,0,0,1,1,2,2; cols floor(j*5/2): 0,2
    const rows = [0, 0, 0, 1, 1, 2, 2], cols = [0, 2];
    assert.equal(Array.from(y.dataSync()), rows.flatMap((r) => cols.map((c) => r * 5 + c)), backend);
    const z = interpolate(x, { scaleFactor: 2, mode: 'nearest' });
    assert.equal(z.shape, [1, 6, 10, 1]);
    assert.is(z.dataSync()[1 * 10 + 3], x.dataSync()[0 * 5 + 1]);
    tf.dispose([x, y, z]);
  }
  assert.throws(() => interpolate(tf.zeros([1, 2, 2, 1]), { size: 3, alignCorners: true }), /alignCorners/);
  assert.throws(() => interpolate(tf.zeros([1, 2, 2, 1]), { mode: 'bilinear' }), /exactly one/);
});

test('interpolate bilinear gradient: adjoint identity <dy, f(x)> = <f*(dy), x>, simd = cpu', async () => {
  for (const [ih, iw, opts] of [[5, 7, { size: [11, 13] as [number, number], mode: 'bilinear' as const }],
    [9, 6, { size: [4, 5] as [number, number], mode: 'bilinear' as const, alignCorners: true }],
    [5, 7, { scaleFactor: 1.7, mode: 'bilinear' as const }]] as const) {
    const shape = [2, ih, iw, 3];
    const n = 2 * ih * iw * 3;
    const y0 = interpolate(tf.zeros(shape), opts);
    const ys = y0.shape;
    y0.dispose();
    const xv = randomArray(n, 5), dyv = randomArray(ys.reduce((a, b) => a * b, 1), 6);
    await expectSameAsCpu([{ shape, values: xv }, { shape: ys, values: dyv }],
      (x, dy) => tf.grad((t: tf.Tensor) => interpolate(t, opts))(x, dy), { atol: 1e-5, rtol: 1e-5 }, `grad ${ih}x${iw}`);
    for (const backend of ['cpu', 'simd']) {
      await tf.setBackend(backend);
      const x = tf.tensor(xv, shape), dy = tf.tensor(dyv, ys);
      const g = tf.grad((t: tf.Tensor) => interpolate(t, opts))(x, dy);
      const y = interpolate(x, opts);
      const lhs = tf.sum(tf.mul(dy, y)).dataSync()[0], rhs = tf.sum(tf.mul(g, x)).dataSync()[0];
      assert.ok(Math.abs(lhs - rhs) < 1e-3 * Math.max(1, Math.abs(lhs)), `${backend}: ${lhs} vs ${rhs}`);
      tf.dispose([x, dy, g, y]);
    }
  }
});

test('ConvTranspose2d: simd = cpu incl. gradients; output size, errors, state dict layout', async () => {
  const m = new ConvTranspose2d(5, 6, 3, { stride: 2, padding: 1, outputPadding: 1, seed: 3 });
  assert.equal(m.outputSize(7, 4), [14, 8]);
  assert.equal(m.stateDict().weight.shape, [5, 6, 3, 3]);
  await expectSameAsCpu([{ shape: [2, 7, 4, 5], values: randomArray(280, 8) }],
    (x) => tf.tidy(() => {
      const y = m.forward(x);
      const g = tf.grad((t: tf.Tensor) => m.forward(t))(x, tf.onesLike(y));
      return [y, g];
    }), { atol: 1e-5, rtol: 1e-5 }, 'convT');
  assert.throws(() => new ConvTranspose2d(4, 4, 3, { stride: 2, outputPadding: 2 }), /smaller than stride/);
  assert.throws(() => new ConvTranspose2d(4, 4, 3, { dilation: 2 }), /dilation/);
  assert.throws(() => new ConvTranspose2d(4, 6, 3, { groups: 4 }), /groups/);
  assert.throws(() => m.forward(tf.zeros([1, 3, 3, 4])), /5 channels/);
});

test('Upsample and Dropout2d modules', async () => {
  await tf.setBackend('simd');
  const up = new Upsample({ scaleFactor: 2, mode: 'bilinear' });
  assert.is(up.extraRepr(), "scale_factor=2, mode='bilinear', align_corners=False");
  const x = tf.tensor4d(randomArray(2 * 4 * 4 * 3, 2), [2, 4, 4, 3]);
  const y = up.forward(x);
  assert.equal(y.shape, [2, 8, 8, 3]);
  assert.throws(() => new Upsample({ size: 4, mode: 'nearest', alignCorners: true }), /alignCorners/);
  const d = new Dropout2d(0.5, { seed: 7 });
  d.eval();
  assert.is(d.forward(x), x);
  d.train();
  const z = d.forward(x);
  const zv = z.dataSync(), xv = x.dataSync();
  let dropped = 0;
  for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) {
    const vals: number[] = [];
    for (let i = 0; i < 16; i++) vals.push(zv[(b * 16 + i) * 3 + c] / xv[(b * 16 + i) * 3 + c]);
    assert.ok(vals.every((v) => Math.abs(v - vals[0]) < 1e-5) && (Math.abs(vals[0]) < 1e-6 || Math.abs(vals[0] - 2) < 1e-5), `channel ${b},${c}: ${vals[0]}`);
    if (Math.abs(vals[0]) < 1e-6) dropped++;
  }
  assert.ok(dropped > 0 && dropped < 6, `dropped ${dropped} of 6 channels`);
  assert.throws(() => new Dropout2d(1.5), /between 0 and 1/);
  tf.dispose([x, y, z]);
});

test('report', () => { console.log(`\n  seg ops vs PyTorch (max rel error): ${report.join('; ')}`); });

test.run();
