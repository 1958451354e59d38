// models/imagenet: the 1000 class names, Pillow-exact antialiased bilinear resize, torchvision's
// Resize(256)/CenterCrop(224)/ToTensor/Normalize pipeline, and topK.
// Reference hashes (FNV-1a 32 of the uint8 HWC bytes) were computed with Pillow 9.4 /
// torchvision 0.14.1 on the synthetic image `pattern(w, h)` below:
//   Image.fromarray(a).resize((ow, oh), Image.BILINEAR)
//   T.Compose([T.Resize(256), T.CenterCrop(224)])(Image.fromarray(a))   (PIL path, antialiased)
//   T.Compose([T.Resize(256), T.CenterCrop(224)])(torch tensor CHW)     (tensor path, antialias=None -> False)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  IMAGENET_CLASSES, preprocessImagenet, resizeAndCenterCrop, resizeBilinearPil, resizedSize, topK, topKAsync,
} from '../src/models/index.js';

function pattern(w: number, h: number) {
  const d = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++)
    d[(y * w + x) * 3 + c] = (x * 7 + y * 13 + c * 50 + (x * y) % 17 + ((x * x + 3 * y) % 29) * 3) % 256;
  return { width: w, height: h, channels: 3, data: d };
}

function fnv(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const v of b) {
    h ^= v;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

test('IMAGENET_CLASSES: torchvision _IMAGENET_CATEGORIES (1000 distinct names, spot checks)', () => {
  assert.is(IMAGENET_CLASSES.length, 1000);
  assert.is(new Set(IMAGENET_CLASSES).size, 1000);
  const spots: Record<number, string> = {
    0: 'tench', 1: 'goldfish', 134: 'crane bird', 281: 'tabby', 285: 'Egyptian cat', 517: 'crane',
    639: 'maillot tank suit', 954: 'banana', 999: 'toilet tissue',
  };
  for (const [i, name] of Object.entries(spots)) assert.is(IMAGENET_CLASSES[+i], name, `class ${i}`);
  assert.ok(Object.isFrozen(IMAGENET_CLASSES));
});

test("resizeBilinearPil equals Pillow's Image.resize(BILINEAR) byte for byte (down, up, one axis)", () => {
  const cases: Array<[number, number, number, number, string]> = [
    [37, 23, 11, 7, '9d337904'], [37, 23, 80, 50, 'a7ab4696'], [13, 9, 13, 20, '63c80462'], [300, 200, 384, 256, '7c44753c'],
  ];
  for (const [w, h, ow, oh, want] of cases) {
    const r = resizeBilinearPil(pattern(w, h), ow, oh);
    assert.equal([r.width, r.height, r.channels], [ow, oh, 3]);
    assert.is(fnv(r.data), want, `${w}x${h} -> ${ow}x${oh}`);
  }
  assert.equal(Array.from(resizeBilinearPil(pattern(37, 23), 11, 7).data.slice(0, 9)), [56, 106, 155, 104, 154, 193, 123, 173, 174]);
});

test('Resize(256) + CenterCrop(224): PIL path and torchvision 0.14 tensor path', () => {
  assert.equal(resizedSize(300, 200, 256), [384, 256]);
  assert.equal(resizedSize(201, 299, 256), [256, 380]);
  assert.is(fnv(resizeAndCenterCrop(pattern(300, 200)).data), 'c46f0937');
  assert.is(fnv(resizeAndCenterCrop(pattern(201, 299)).data), '986e5683');
  assert.is(fnv(resizeAndCenterCrop(pattern(300, 200), { antialias: false }).data), '14243ab6');
});

test('preprocessImagenet = torchvision ToTensor + Normalize of the crop: NHWC [1, 224, 224, 3]', async () => {
  await tf.setBackend('cpu');
  const x = preprocessImagenet(pattern(300, 200));
  assert.equal(x.shape, [1, 224, 224, 3]);
  const v = x.dataSync();
  // torch: x[0, 100, 37] (C, H, W) and x[2, 5, 200]; sum of all 150528 values
  assert.ok(Math.abs(v[(100 * 224 + 37) * 3 + 0] - -0.542426586151123) < 1e-6);
  assert.ok(Math.abs(v[(5 * 224 + 200) * 3 + 2] - -0.14867094159126282) < 1e-6);
  let s = 0;
  for (const a of v) s += a;
  assert.ok(Math.abs(s - 34113.18021437479) < 0.05, `sum ${s}`);
  x.dispose();
  assert.throws(() => preprocessImagenet({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) } as never), /RGB/);
  assert.throws(() => preprocessImagenet({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }), /width\*height\*channels/);
  // smaller than the crop: zero-padded like torchvision (resize to 256 first makes this rare)
  const small = resizeAndCenterCrop(pattern(10, 10), { resizeSize: 8, cropSize: 12 });
  assert.equal([small.width, small.height], [12, 12]);
  assert.is(small.data[0], 0);
});

test('topK: softmax probabilities, labels, order, ties by index', async () => {
  await tf.setBackend('cpu');
  const logits = tf.tensor2d([[0, 3, 1, 3], [5, 0, 0, 0]]);
  const r = topK(logits, 2, ['a', 'b', 'c', 'd']);
  assert.equal(r.map((row) => row.map((e) => e.index)), [[1, 3], [0, 1]]);
  assert.equal(r[0].map((e) => e.label), ['b', 'd']);
  const z = Math.exp(0) + 2 * Math.exp(3) + Math.exp(1);
  assert.ok(Math.abs(r[0][0].probability - Math.exp(3) / z) < 1e-6);
  const big = tf.tidy(() => tf.mul(tf.oneHot(tf.tensor1d([954], 'int32'), 1000), 10));
  assert.is(topK(big, 1)[0][0].label, 'banana');
  assert.is(topK(tf.tensor1d([1, 2]), 5)[0].length, 2);
  assert.throws(() => topK(logits, 0), /k must be/);
  assert.equal(await topKAsync(logits, 2, ['a', 'b', 'c', 'd']), r, 'topKAsync = topK');
  try {
    await topKAsync(logits, 0);
    assert.unreachable('topKAsync with k 0 must reject');
  } catch (e) {
    assert.match((e as Error).message, /k must be/);
  }
  tf.dispose([logits, big]);
});

test.run();
