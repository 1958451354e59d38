// ResizeBilinear on `simd` (assembly/resize.ts via src/backend/kernels/ResizeBilinear.ts) against
// tfjs-backend-cpu: odd sizes, up and down scale, C = 1, 3, 5, 64, every flag combination tfjs
// allows, batch 3, size-1 outputs, int32 input (cpu fallback), and the gradient (cpu fallback).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { bilinearTaps } from '../src/backend/kernels/ResizeBilinear';

const FLAGS: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false]];

test('resizeBilinear: simd = cpu over sizes, channels, flags, batch 3', async () => {
  const geoms: Array<[number, number, number, number]> = [
    [5, 7, 11, 13], [13, 11, 5, 7], [6, 9, 17, 4], [1, 3, 4, 5], [7, 7, 7, 7], [9, 5, 1, 1], [4, 6, 1, 9], [3, 3, 12, 12],
  ];
  let worst = 0;
  for (const C of [1, 3, 5, 64]) {
    for (const [ih, iw, oh, ow] of geoms) {
      const shape = [3, ih, iw, C];
      const n = shape.reduce((a, b) => a * b, 1);
      for (const [ac, hpc] of FLAGS) {
        const e = await expectSameAsCpu([{ shape, values: randomArray(n, ih * 31 + C) }],
          (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [oh, ow], ac, hpc),
          { atol: 1e-6, rtol: 1e-5 }, `C=${C} ${ih}x${iw}->${oh}x${ow} ac=${ac} hpc=${hpc}`);
        worst = Math.max(worst, e);
      }
    }
  }
  assert.ok(worst < 1e-6, `max abs error ${worst}`);
});

test('resizeBilinear: hand-computed 2x2 -> 3x3 (alignCorners) and rank-3 input', async () => {
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    const x = tf.tensor3d([0, 10, 20, 30], [2, 2, 1]);
    const y = tf.image.resizeBilinear(x, [3, 3], true);
    assert.equal(y.shape, [3, 3, 1]);
    assert.equal(Array.from(y.dataSync()), [0, 5, 10, 10, 15, 20, 20, 25, 30], backend);
    tf.dispose([x, y]);
  }
});

test('resizeBilinear: int32 input (cpu fallback) and gradient (cpu ResizeBilinearGrad) match cpu', async () => {
  await expectSameAsCpu([{ shape: [2, 4, 5, 3], values: Array.from({ length: 120 }, (_, i) => i % 17), dtype: 'int32' }],
    (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [7, 3], false, true));
  // Square input and halfPixelCenters false only: tfjs-backend-cpu 4.22 ResizeBilinearGrad labels
  // its output [N, W, H, C] (wrong shape for H != W) and ignores halfPixelCenters. interpolate()
  // (src/ops/interpolate.ts) has its own correct gradient; see tests/seg_ops.test.ts.
  await expectSameAsCpu([{ shape: [2, 5, 5, 6], values: randomArray(300, 3) }, { shape: [2, 9, 7, 6], values: randomArray(756, 4) }],
    (x, dy) => tf.grad((t: tf.Tensor) => tf.image.resizeBilinear(t as tf.Tensor4D, [9, 7], false, false))(x, dy));
});

test('bilinearTaps: clamps like tfjs and rejects bad sizes', () => {
  const t = bilinearTaps(4, 8, false, true);
  assert.is(t.lo[0], 0);
  assert.is(t.hi[0], 0);
  assert.is(t.lo[7], 3);
  assert.is(t.hi[7], 3);
  assert.throws(() => bilinearTaps(4, 1.5, false, false), /outSize must be an integer/);
});

test.run();
