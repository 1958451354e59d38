// torchvision transforms: exact parity with torchvision 0.14 + Pillow on PIL images
// (tests/fixtures/torch/gen_transforms.py), RandomResizedCrop's sampling, seeded reproducibility.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { parseSafetensors } from '../src/io/index.js';
import type { ImageU8 } from '../src/io/image.js';
import { SeededRng } from '../src/nn/init.js';
import {
  CenterCrop, Compose, ImageTransform, Normalize, RandomHorizontalFlip, RandomResizedCrop, Resize, ToTensor,
  hflip, resizedCrop, type HwcTensor,
} from '../src/transforms/index.js';

const fx = parseSafetensors(new Uint8Array(readFileSync(new URL('./fixtures/torch/transforms.safetensors', import.meta.url))));
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

function img(name: string): ImageU8 {
  const t = fx.tensors.get(name)!;
  return { height: t.shape[0], width: t.shape[1], channels: t.shape[2], data: new Uint8Array(t.data as Uint8Array) };
}
/** CHW fixture → HWC Float32Array. */
function hwc(name: string): { shape: number[]; data: Float32Array } {
  const t = fx.tensors.get(name)!;
  const [c, h, w] = t.shape;
  const d = t.data as Float32Array;
  const out = new Float32Array(d.length);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(y * w + x) * c + k] = d[(k * h + y) * w + x];
  return { shape: [h, w, c], data: out };
}
function sameImage(a: ImageU8, b: ImageU8, what: string) {
  assert.equal([a.height, a.width, a.channels], [b.height, b.width, b.channels], `${what}: shape`);
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
  assert.is(diff, 0, `${what}: max |diff| ${diff}`);
}
function sameF32(a: HwcTensor, b: { shape: number[]; data: Float32Array }, what: string) {
  assert.equal(a.shape, b.shape, `${what}: shape`);
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
  assert.is(diff, 0, `${what}: max |diff| ${diff} (expected bit-exact)`);
}

const input = img('input');

test('Resize matches torchvision/PIL bilinear exactly (down, to [h,w], up, portrait)', () => {
  sameImage(new Resize(10).apply(input), img('resize10'), 'Resize(10)');
  sameImage(new Resize([7, 15]).apply(input), img('resize_7x15'), 'Resize((7,15))');
  sameImage(new Resize(40).apply(input), img('resize_up40'), 'Resize(40)');
  sameImage(new Resize(8).apply(img('input_tall')), img('tall_resize8'), 'Resize(8) tall');
});

test('CenterCrop matches torchvision (rounding and zero padding)', () => {
  sameImage(new CenterCrop(8).apply(img('resize10')), img('center8'), 'CenterCrop(8)');
  sameImage(new CenterCrop([5, 12]).apply(input), img('center_5x12'), 'CenterCrop((5,12))');
  sameImage(new CenterCrop(30).apply(input), img('center_pad30'), 'CenterCrop(30) padded');
});

test('resized_crop and hflip match torchvision functional', () => {
  sameImage(resizedCrop(input, 3, 4, 9, 14, [12, 12]), img('resized_crop'), 'resized_crop');
  sameImage(hflip(input), img('hflip'), 'hflip');
  sameImage(new RandomHorizontalFlip(1).apply(input), img('hflip'), 'RandomHorizontalFlip(p=1)');
  assert.is(new RandomHorizontalFlip(0).apply(input), input);
});

test('ToTensor / Normalize / val pipeline are bit-exact with torchvision (HWC layout)', () => {
  const t = new ToTensor().apply(img('resize10'));
  sameF32(t, hwc('to_tensor'), 'ToTensor');
  const n = new Normalize(MEAN, STD).apply(t);
  sameF32(n, hwc('normalize'), 'Normalize');
  const val = new Compose<ImageU8, HwcTensor>([new Resize(10), new CenterCrop(10), new ToTensor(), new Normalize(MEAN, STD)]).apply(input);
  sameF32(val, hwc('val_pipeline'), 'val pipeline');
  sameF32(new ImageTransform(10, MEAN, STD).apply(input, undefined, 'val'), hwc('val_pipeline'), 'ImageTransform val');
  // Normalize on a tf.Tensor (last axis = channels) agrees
  const nt = new Normalize(MEAN, STD).apply(tf.tensor(t.data, t.shape));
  const d = nt.dataSync();
  let diff = 0;
  for (let i = 0; i < d.length; i++) diff = Math.max(diff, Math.abs(d[i] - n.data[i]));
  nt.dispose();
  assert.ok(diff < 1e-6, `tf Normalize diff ${diff}`);
});

test('RandomResizedCrop.getParams: within bounds, scale/ratio respected, fallback', () => {
  const rng = new SeededRng(1);
  for (let k = 0; k < 500; k++) {
    const [i, j, h, w] = RandomResizedCrop.getParams(60, 80, [0.08, 1], [3 / 4, 4 / 3], rng);
    assert.ok(i >= 0 && j >= 0 && h > 0 && w > 0 && i + h <= 60 && j + w <= 80, `${i},${j},${h},${w}`);
    assert.ok(h * w <= 60 * 80 * 1.05 && h * w >= 60 * 80 * 0.08 * 0.8, `area ${h * w}`);
  }
  // impossible scale (area > image) → all 10 attempts fail → central fallback
  assert.equal(RandomResizedCrop.getParams(10, 40, [2, 3], [3 / 4, 4 / 3], rng), [0, 13, 10, 13]); // 40/10 > 4/3: h = 10, w = round(10·4/3) = 13
  assert.equal(RandomResizedCrop.getParams(40, 10, [2, 3], [3 / 4, 4 / 3], rng), [13, 0, 13, 10]); // 10/40 < 3/4: w = 10, h = round(10/(3/4)) = 13
  assert.equal(RandomResizedCrop.getParams(20, 20, [2, 3], [3 / 4, 4 / 3], rng), [0, 0, 20, 20]);
});

test('random transforms are reproducible under a seed', () => {
  const t1 = new ImageTransform(12, MEAN, STD, { seed: 7 });
  const t2 = new ImageTransform(12, MEAN, STD, { seed: 7 });
  const a = [0, 1, 2, 3].map(() => t1.apply(input));
  const b = [0, 1, 2, 3].map(() => t2.apply(input));
  for (let k = 0; k < 4; k++) assert.equal(Array.from(a[k].data), Array.from(b[k].data));
  assert.equal(a[0].shape, [12, 12, 3]);
  assert.not.equal(Array.from(a[0].data), Array.from(a[1].data), 'different draws differ');
  // an explicit rng overrides the transform's own
  const c = t1.apply(input, new SeededRng(3));
  const d = t2.apply(input, new SeededRng(3));
  assert.equal(Array.from(c.data), Array.from(d.data));
  const rrc = new RandomResizedCrop(9, { seed: 5 });
  assert.equal(rrc.apply(input).width, 9);
});

test.run();
