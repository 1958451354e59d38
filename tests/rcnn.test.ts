// The didactic R-CNN / SPP-net pipeline (src/detection/rcnn.ts) on a synthetic scene: a red
// 40×24 box and a green 24×32 box on a dark, noisy background. The classifiers are built by hand
// (their weights are constructed, explained below) so the right detection is known: each must
// land on its object (IoU > 0.5) with the right label, which needs the proposals, the context
// dilation, the warp (x/y order, sampling grid), the pyramid's flatten order, the softmax and the
// per-class NMS to be right. Plus a zoo classifier (resnet18) end to end, proposals, warp values,
// bad input, and tensor leaks; on simd and cpu.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { randomArray } from './helpers';
import {
  boxIou, detectionsFromScores, greedyMergeProposals, rcnnDetect, roiSpatialPyramidPool, slidingWindowProposals, sppNetDetect, warpRegions,
  type Detections,
} from '../src/detection/index.js';
import { AvgPool2d, Conv2d, Flatten, Linear, ReLU, Sequential } from '../src/nn/index.js';
import { resnet18 } from '../src/models/index.js';

const H = 96, W = 128;
const RED = [20, 24, 60, 48];    // x1, y1, x2, y2 (pixel edges), class 1
const GREEN = [84, 56, 108, 88]; // class 2

/** The scene, NHWC [1, 96, 128, 3]: background uniform in [0, 0.1), objects pure red / green. */
function sceneData(): Float32Array {
  const d = Float32Array.from(randomArray(H * W * 3, 77), (v) => (v + 1) * 0.05);
  const paint = (b: number[], rgb: number[]) => {
    for (let y = b[1]; y < b[3]; y++) for (let x = b[0]; x < b[2]; x++) d.set(rgb, (y * W + x) * 3);
  };
  paint(RED, [1, 0, 0]);
  paint(GREEN, [0, 1, 0]);
  return d;
}

/**
 * Proposals: sliding windows whose sizes include both objects' (√960 at ratio 0.6 is 40×24,
 * √768 at 4/3 is 24×32) plus two other scales; stride 1/8 of the window. ≈ 6,000 windows.
 */
const proposalOptions = { scales: [Math.sqrt(960), Math.sqrt(768), 32, 48], aspectRatios: [0.6, 4 / 3, 1], strideFraction: 0.125 };

function best(det: Detections, label: number): { box: number[]; score: number } {
  for (let i = 0; i < det.labels.length; i++) {
    if (det.labels[i] === label) return { box: Array.from(det.boxes.subarray(i * 4, i * 4 + 4)), score: det.scores[i] };
  }
  return { box: [], score: 0 };
}

/**
 * R-CNN template classifier on 24×24 warps with p = 4 context pixels (the box is the inner
 * 16×16): Conv2d(3, 3, 24) + Flatten. Class c (1 red, 2 green) logit =
 *   20·(mean inner own colour − mean inner other colours − mean ring (R+G+B)) − 10,
 * background logit 0: high only when the box is filled with the colour and its context is dark.
 */
function templateClassifier(): Sequential {
  const S = 24, p = 4, inner = (S - 2 * p) ** 2, ring = S * S - inner, a = 20;
  const w = new Float32Array(3 * 3 * S * S);  // OIHW
  for (let o = 1; o <= 2; o++) {
    for (let ci = 0; ci < 3; ci++) {
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const isInner = y >= p && y < S - p && x >= p && x < S - p;
          w[((o * 3 + ci) * S + y) * S + x] = isInner ? (ci === o - 1 ? a / inner : -a / inner) : -a / ring;
        }
      }
    }
  }
  const net = new Sequential(new Conv2d(3, 3, S), new Flatten());
  net.loadStateDict({ '0.weight': { shape: [3, 3, S, S], data: w }, '0.bias': { shape: [3], data: [0, -a / 2, -a / 2] } });
  return net;
}

for (const backend of ['simd', 'cpu']) {
  test(`R-CNN (${backend}): sliding windows → context warps → template CNN → per-class NMS finds both objects`, async () => {
    assert.ok(await tf.setBackend(backend));
    const classifier = templateClassifier();
    const image = tf.tensor4d(sceneData(), [1, H, W, 3]);
    const before = tf.memory().numTensors;
    const boxes = slidingWindowProposals([H, W], proposalOptions);
    const det = rcnnDetect(image, { classifier, boxes, warpSize: 24, contextPadding: 4, batchSize: 512, nmsThresh: 0.3 });
    assert.is(tf.memory().numTensors, before, 'no tensor leak');
    const red = best(det, 1), green = best(det, 2);
    const iouRed = boxIou(red.box, RED)[0], iouGreen = boxIou(green.box, GREEN)[0];
    console.log(`  R-CNN ${backend}: ${boxes.length / 4} proposals, ${det.labels.length} detections; red ${red.box} p=${red.score.toFixed(3)} IoU ${iouRed.toFixed(2)}; green ${green.box} p=${green.score.toFixed(3)} IoU ${iouGreen.toFixed(2)}`);
    assert.ok(iouRed > 0.5, `red IoU ${iouRed}`);
    assert.ok(iouGreen > 0.5, `green IoU ${iouGreen}`);
    assert.ok(red.score > 0.9 && green.score > 0.9, `scores ${red.score} ${green.score}`);
    // the two best detections are the two objects; scores descending
    assert.equal(new Set(Array.from(det.labels.subarray(0, 2))), new Set([1, 2]));
    for (let i = 1; i < det.scores.length; i++) assert.ok(det.scores[i] <= det.scores[i - 1]);
    // a box inside the object fills the inner 16×16 with red too; only the context ring (red, not
    // dark) tells it apart: the exact box must win (a pipeline that ignored contextPadding would tie)
    const tight = rcnnDetect(image, { classifier, boxes: [RED[0] + 6, RED[1] + 4, RED[2] - 6, RED[3] - 4, ...RED], warpSize: 24, contextPadding: 4, scoreThresh: 0 });
    assert.equal(Array.from(tight.boxes.subarray(0, 4)), RED, 'with context the exact box beats a box inside the object');
    image.dispose();
    classifier.dispose();
  });

  test(`SPP-net (${backend}): conv features once → pyramid [1,2,4] on each window → FC head finds both objects`, async () => {
    assert.ok(await tf.setBackend(backend));
    // backbone: 1×1 conv + ReLU to (red-ness, green-ness, darkness), then 4×4 average pooling (stride 4)
    const backbone = new Sequential(new Conv2d(3, 3, 1), new ReLU(), new AvgPool2d(4));
    backbone.loadStateDict({
      '0.weight': { shape: [3, 3, 1, 1], data: [1, -1, -1, -1, 1, -1, -1, -1, -1] },
      '0.bias': { shape: [3], data: [-0.3, -0.3, 0.5] },
    });
    // head on the pyramid of the window dilated by 0.5 per side: level 4's inner 2×2 bins are the
    // box, the 12 outer bins its context. Class c logit = 20·(mean inner own colour / 0.7 −
    // mean inner darkness / 0.2 − mean ring own colour / 0.7) − 10. Flatten order: per level, C-major.
    const levels = [1, 2, 4], C = 3, a = 20;
    const nIn = C * 21;
    const w = new Float32Array(3 * nIn);
    const off4 = C * (1 + 4);
    for (let c = 1; c <= 2; c++) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          const inner = i >= 1 && i <= 2 && j >= 1 && j <= 2;
          const own = off4 + (c - 1) * 16 + i * 4 + j, dark = off4 + 2 * 16 + i * 4 + j;
          if (inner) { w[c * nIn + own] = a / (4 * 0.7); w[c * nIn + dark] = -a / (4 * 0.2); } else w[c * nIn + own] = -a / (12 * 0.7);
        }
      }
    }
    const head = new Linear(nIn, 3);
    head.loadStateDict({ weight: { shape: [3, nIn], data: w }, bias: { shape: [3], data: [0, -a / 2, -a / 2] } });
    const image = tf.tensor4d(sceneData(), [1, H, W, 3]);
    const before = tf.memory().numTensors;
    const boxes = slidingWindowProposals([H, W], proposalOptions);
    const det = sppNetDetect(image, { backbone, head, boxes, levels, contextRatio: 0.5, nmsThresh: 0.3 });
    assert.is(tf.memory().numTensors, before, 'no tensor leak');
    const red = best(det, 1), green = best(det, 2);
    const iouRed = boxIou(red.box, RED)[0], iouGreen = boxIou(green.box, GREEN)[0];
    console.log(`  SPP-net ${backend}: ${det.labels.length} detections; red ${red.box} p=${red.score.toFixed(3)} IoU ${iouRed.toFixed(2)}; green ${green.box} p=${green.score.toFixed(3)} IoU ${iouGreen.toFixed(2)}`);
    assert.ok(iouRed > 0.5, `red IoU ${iouRed}`);
    assert.ok(iouGreen > 0.5, `green IoU ${iouGreen}`);
    assert.ok(red.score > 0.9 && green.score > 0.9, `scores ${red.score} ${green.score}`);
    // Fast R-CNN's single-level RoI pooling is the same call: [K, C·7·7]
    const feats = tf.tidy(() => backbone.forward(image));
    const fr = roiSpatialPyramidPool(feats, [...RED, ...GREEN], { levels: [7], spatialScale: 0.25 });
    assert.equal(fr.shape, [2, C * 49]);
    // level 1 of the pyramid = max over the window per channel (red-ness 0.7 over the red box)
    const g = roiSpatialPyramidPool(feats, [RED[0], RED[1], RED[2] - 4, RED[3] - 4], { levels: [1, 2], spatialScale: 0.25 });
    const gd = g.dataSync();
    assert.ok(Math.abs(gd[0] - 0.7) < 1e-6 && gd[1] === 0 && gd[2] === 0, `level 1 = [${Array.from(gd.subarray(0, 3))}]`);
    assert.equal(g.shape, [1, C * 5]);
    tf.dispose([feats, fr, g, image]);
    backbone.dispose();
    head.dispose();
  });
}

test('greedyMergeProposals (selective-search-like) proposes both objects; R-CNN on them finds them', async () => {
  await tf.setBackend('simd');
  const image = tf.tensor4d(sceneData(), [1, H, W, 3]);
  const t0 = performance.now();
  const boxes = greedyMergeProposals(image, { cellSize: 4 });
  const ms = performance.now() - t0;
  const k = boxes.length / 4;
  const bestIou = (t: number[]) => Math.max(...boxIou(boxes, t));
  console.log(`  greedy merge: ${k} proposals from ${24 * 32} cells in ${ms.toFixed(0)} ms; best IoU red ${bestIou(RED).toFixed(2)}, green ${bestIou(GREEN).toFixed(2)}`);
  assert.ok(k > 10 && k < 24 * 32, `${k} proposals`);
  assert.is(bestIou(RED), 1, 'the red box is a merged region');
  assert.is(bestIou(GREEN), 1, 'the green box is a merged region');
  assert.equal(Array.from(boxes.subarray(boxes.length - 4)), [0, 0, W, H], 'the last merge is the whole image');
  const classifier = templateClassifier();
  const det = rcnnDetect(image, { classifier, boxes, warpSize: 24, contextPadding: 4 });
  assert.ok(boxIou(best(det, 1).box, RED)[0] > 0.5 && boxIou(best(det, 2).box, GREEN)[0] > 0.5);
  assert.throws(() => greedyMergeProposals(image, { cellSize: 0 }), /cellSize must be an integer >= 1/);
  image.dispose();
  classifier.dispose();
});

test('R-CNN with a zoo classifier (resnet18, random weights, 3 classes) end to end', async () => {
  await tf.setBackend('simd');
  const net = resnet18({ numClasses: 3, seed: 1 }).eval();
  const image = tf.tensor4d(sceneData(), [1, H, W, 3]);
  const shapes: number[][] = [];
  tf.dispose(tf.tidy(() => net.forward(tf.zeros([1, 64, 64, 3]))));  // eval mode folds BN into cached weights once
  const before = tf.memory().numTensors;
  const det = rcnnDetect(image, {
    classifier: (x) => { shapes.push(x.shape); return net.forward(x); },
    proposals: { scales: [32, 64], aspectRatios: [1], strideFraction: 0.5 }, warpSize: 64, batchSize: 16, scoreThresh: 0,
    preprocess: (x) => tf.div(tf.sub(x, 0.45), 0.225),
  });
  assert.is(tf.memory().numTensors, before, 'no tensor leak');
  const k = slidingWindowProposals([H, W], { scales: [32, 64], aspectRatios: [1], strideFraction: 0.5 }).length / 4;
  assert.equal(shapes.map((s) => s[0]).reduce((a, b) => a + b, 0), k, 'every proposal classified once');
  assert.ok(shapes.every((s) => s[1] === 64 && s[2] === 64 && s[3] === 3));
  assert.ok(det.labels.length > 0 && det.labels.every((l) => l === 1 || l === 2));
  assert.ok(det.scores.every((s) => s > 0 && s < 1));
  assert.is(det.boxes.length, det.labels.length * 4);
  image.dispose();
  net.dispose();
});

test('slidingWindowProposals, warpRegions, detectionsFromScores: values', async () => {
  const b = slidingWindowProposals([10, 20], { scales: [10], aspectRatios: [1], strideFraction: 0.5 });
  // 10×10 windows, step 5: x 0,5,10; y 0
  assert.equal(Array.from(b), [0, 0, 10, 10, 5, 0, 15, 10, 10, 0, 20, 10]);
  const big = slidingWindowProposals([10, 20], { scales: [100], aspectRatios: [1] });
  assert.equal(Array.from(big), [0, 0, 20, 10], 'a window larger than the image is shrunk to it');
  const b2 = slidingWindowProposals([10, 12], { scales: [8], aspectRatios: [1], strideFraction: 1 });
  assert.equal(Array.from(b2), [0, 0, 8, 8, 4, 0, 12, 8, 0, 2, 8, 10, 4, 2, 12, 10], 'last window flush with the border');
  for (const backend of ['simd', 'cpu']) {
    await tf.setBackend(backend);
    // a ramp image v = 10·y + x: bilinear warps of it are exact ramps
    const img = tf.tensor3d(Float32Array.from({ length: 8 * 9 }, (_, i) => 10 * Math.floor(i / 9) + (i % 9)), [8, 9, 1]);
    const w = warpRegions(img, [2, 1, 6, 4], [4, 5]);  // pixels x 2..5, y 1..3
    const d = Array.from(w.dataSync());
    assert.equal(w.shape, [1, 4, 5, 1]);
    const want: number[] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) want.push(10 * (1 + i * 2 / 3) + 2 + j * 3 / 4);
    d.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-4, `warp[${i}] ${v} vs ${want[i]}`));
    // context: p = 1 at size 4 dilates by 1/2 of the box per side: box x 4..6 → 3..7
    const wc = warpRegions(img, [4, 2, 6, 4], 4, { contextPadding: 1, fill: -1 });
    const dc = wc.dataSync();
    assert.ok(Math.abs(dc[0] - (10 * 1 + 3)) < 1e-4, `context warp starts at (3, 1): ${dc[0]}`);
    const out = warpRegions(img, [-4, -4, 2, 2], 3, { fill: -7 });
    assert.is(out.dataSync()[0], -7, 'outside the image: fill');
    tf.dispose([img, w, wc, out]);
  }
  // per-class NMS: boxes 0 and 1 overlap (IoU 0.82): class 1 keeps box 0 only, class 2 keeps box 1;
  // box 2 is background (0.98)
  const det = detectionsFromScores([0, 0, 10, 10, 1, 0, 11, 10, 50, 50, 60, 60],
    [0.1, 0.8, 0.1, 0.1, 0.3, 0.6, 0.98, 0.01, 0.01], 3, { scoreThresh: 0.2 });
  assert.equal(Array.from(det.labels), [1, 2]);
  assert.equal(Array.from(det.scores), [0.8, 0.6].map(Math.fround));
  assert.equal(Array.from(det.boxes), [0, 0, 10, 10, 1, 0, 11, 10]);
  // with a looser NMS threshold class 1 keeps both boxes
  assert.equal(Array.from(detectionsFromScores([0, 0, 10, 10, 1, 0, 11, 10], [0.1, 0.8, 0.1, 0.1, 0.3, 0.6], 3, { nmsThresh: 0.9, scoreThresh: 0.2 }).labels), [1, 2, 1]);
  assert.is(detectionsFromScores([0, 0, 1, 1], [0.1, 0.9], 2, { detectionsPerImage: 0 }).labels.length, 0);
});

test('R-CNN / SPP-net: no proposals, degenerate boxes and other bad input', async () => {
  await tf.setBackend('simd');
  const image = tf.zeros([1, 16, 16, 3]);
  const two = tf.zeros([2, 16, 16, 3]);
  const classifier = (x: tf.Tensor) => tf.zeros([x.shape[0], 3]);
  const before = tf.memory().numTensors;
  const empty = rcnnDetect(image, { classifier, boxes: [], warpSize: 8 });
  assert.equal([empty.boxes.length, empty.labels.length, empty.scores.length], [0, 0, 0]);
  const emptySpp = sppNetDetect(image, { backbone: (x) => x, head: classifier, boxes: new Float32Array(0) });
  assert.is(emptySpp.labels.length, 0);
  const e0 = roiSpatialPyramidPool(image, [], { levels: [1, 2] });
  assert.equal(e0.shape, [0, 15]);
  e0.dispose();
  assert.throws(() => rcnnDetect(image, { classifier, boxes: [0, 0, 4, 4, 5, 5, 5, 9], warpSize: 8 }),
    /rcnnDetect: proposal 1 is degenerate: \(x1, y1, x2, y2\) = \(5, 5, 5, 9\)/);
  assert.throws(() => rcnnDetect(image, { classifier, boxes: [0, 0, NaN, 4], warpSize: 8 }), /proposal 0 is degenerate/);
  assert.throws(() => sppNetDetect(image, { backbone: (x) => x, head: classifier, boxes: [3, 3, 1, 8] }), /sppNetDetect: proposal 0 is degenerate/);
  assert.throws(() => rcnnDetect(image, { classifier, boxes: [0, 0, 4], warpSize: 8 }), /K\*4 values/);
  assert.throws(() => rcnnDetect(two, { classifier, warpSize: 8 }), /image must be NHWC \[1, H, W, C\] or \[H, W, C\], got shape \[2, 16, 16, 3\]/);
  assert.throws(() => rcnnDetect(image, { classifier: (x) => tf.zeros([x.shape[0], 1]), boxes: [0, 0, 4, 4], warpSize: 8 }),
    /the classifier must return logits \[1, numClasses >= 2\]/);
  assert.throws(() => rcnnDetect(image, { classifier, boxes: [0, 0, 4, 4], warpSize: 8, contextPadding: 4 }), /contextPadding must be >= 0 and leave size - 2p >= 1/);
  assert.throws(() => rcnnDetect(image, undefined as never), /options.classifier is required/);
  assert.throws(() => sppNetDetect(image, { backbone: (x) => tf.squeeze(x, [0]), head: classifier, boxes: [0, 0, 4, 4] }), /backbone must return NHWC features/);
  assert.throws(() => slidingWindowProposals([0, 5]), /imageSize must be \[H, W\] integers >= 1/);
  assert.throws(() => slidingWindowProposals([5, 5], { scales: [-1] }), /must be finite numbers > 0/);
  assert.throws(() => slidingWindowProposals([5, 5], { strideFraction: 0 }), /strideFraction must be in \(0, 1\]/);
  assert.throws(() => detectionsFromScores([0, 0, 1, 1], [1], 2), /1 boxes but 1 scores for 2 classes/);
  assert.is(tf.memory().numTensors, before, 'no tensor leak after errors');
  tf.dispose([image, two]);
});

test.run();
