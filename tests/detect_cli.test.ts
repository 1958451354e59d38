// detect() / drawBoxesPng / COCO names, and `simdnet detect --model fasterrcnn_resnet50_fpn`:
// a FrozenBatchNorm-style checkpoint (torchvision's seeded Faster R-CNN state dict without
// num_batches_tracked, as pretrained checkpoints are) written to a temp safetensors, the
// faster_rcnn fixture image as PNG, --min-size 128 --max-size 192: the printed detections are
// torchvision's detections with score >= 0.5 (tests/fixtures/torch/faster_rcnn.safetensors).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import './helpers';
import { detectImageFile } from '../src/cli/detect_job';
import { COCO_CATEGORY_NAMES, drawBoxesPng, drawText, textWidth } from '../src/models/index';
import { serializeSafetensors } from '../src/io/safetensors';
import { decodeImage, encodePng } from '../src/io/image';
import { seededStateDict, type SeededEntry } from './torch_weights';
import { loadTorchFixture } from './zoo_helpers';

const dir = mkdtempSync(join(tmpdir(), 'simdnet-detect-'));
const fixture = await loadTorchFixture('faster_rcnn');

test('COCO_CATEGORY_NAMES = torchvision _COCO_CATEGORIES (91 entries)', () => {
  assert.is(COCO_CATEGORY_NAMES.length, 91);
  assert.is(COCO_CATEGORY_NAMES[0], '__background__');
  assert.is(COCO_CATEGORY_NAMES[1], 'person');
  assert.is(COCO_CATEGORY_NAMES[12], 'N/A');
  assert.is(COCO_CATEGORY_NAMES[44], 'bottle');
  assert.is(COCO_CATEGORY_NAMES[90], 'toothbrush');
  assert.is(COCO_CATEGORY_NAMES.filter((n) => n === 'N/A').length, 10);
});

test('drawText: 5×7 glyphs at the given scale; drawBoxesPng draws rectangles and label tags', () => {
  const w = 20, h = 10;
  const buf = new Uint8Array(w * h * 3);
  drawText(buf, w, h, '1', 2, 1, [255, 0, 0], 1);
  // glyph '1' rows: 0x04 0x0c 0x04 0x04 0x04 0x04 0x0e (bit 4 = leftmost column)
  const on = (x: number, y: number) => buf[(y * w + x) * 3] === 255;
  assert.ok(on(4, 1) && !on(3, 1) && !on(5, 1) && on(3, 2) && on(4, 2) && on(3, 7) && on(5, 7) && !on(2, 7) && !on(6, 7) && !on(3, 6));
  assert.is(textWidth('ab', 2), 22);
  // a 64×48 grey image, one box
  const W = 64, H = 48;
  const img = { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3).fill(100) };
  const png = drawBoxesPng(img, [{ box: [10, 20, 40, 44], label: 1, name: 'person', score: 0.9 }], { lineWidth: 1, fontScale: 1 });
  const out = decodeImage(png);
  assert.equal([out.width, out.height], [W, H]);
  const px = (x: number, y: number) => Array.from(out.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));
  const colour = px(10, 30);
  assert.not.equal(colour, [100, 100, 100], 'left edge drawn');
  assert.equal(px(40, 30), colour, 'right edge');
  assert.equal(px(25, 44), colour, 'bottom edge');
  assert.equal(px(25, 32), [100, 100, 100], 'inside untouched');
  assert.equal(px(5, 5), [100, 100, 100], 'outside untouched');
  // the tag sits above the box (rows 11..19) and holds light and dark pixels (text on colour)
  let tagPixels = 0;
  for (let y = 11; y < 20; y++) for (let x = 10; x < 60; x++) if (px(x, y).join() !== '100,100,100') tagPixels++;
  assert.ok(tagPixels > 100, `label tag drawn (${tagPixels} pixels)`);
  // the raw Detection form and grey images work; a bad image is rejected
  const grey = { width: W, height: H, channels: 1, data: new Uint8Array(W * H).fill(7) };
  const raw = { boxes: Float32Array.from([1, 1, 30, 30]), scores: Float32Array.from([0.5]), labels: Int32Array.from([3]) };
  assert.equal([decodeImage(drawBoxesPng(grey, raw)).width], [W]);
  assert.throws(() => drawBoxesPng({ width: 2, height: 2, channels: 2, data: new Uint8Array(8) }, []), /1, 3 or 4 channels/);
});

function writeFrozenCheckpoint(path: string): void {
  const entries: SeededEntry[] = JSON.parse(fixture.metadata.state_dict);
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of seededStateDict(entries.filter((e) => !e.name.endsWith('num_batches_tracked')))) {
    tensors[k] = { dtype: 'F32', shape: t.shape, data: t.data as Float32Array };
  }
  writeFileSync(path, serializeSafetensors(tensors as never));
}

test('simdnet detect: a FrozenBatchNorm checkpoint, prints torchvision\'s detections >= 0.5 and writes boxes.png', async () => {
  const weights = join(dir, 'frcnn.safetensors');
  writeFrozenCheckpoint(weights);
  const im = fixture.tensors.get('image')!;
  const [h, w] = im.shape;
  const image = join(dir, 'img.png');
  writeFileSync(image, encodePng(w, h, Uint8Array.from(im.data as Float32Array)));
  const scores = fixture.tensors.get('det_scores')!.data as Float32Array;
  const labels = Array.from(fixture.tensors.get('det_labels')!.data as ArrayLike<bigint>, Number);
  // the end-to-end score error is < 1e-3 (tests/faster_rcnn.test.ts): no torch score may sit that close to 0.5
  assert.ok(Array.from(scores).every((s) => Math.abs(s - 0.5) > 1e-3), 'fixture scores clear of the threshold');
  const want = Array.from(scores).filter((s) => s >= 0.5).length;
  const out = join(dir, 'boxes.png');
  const lines: string[] = [];
  const log = console.log;
  const tensorsBefore = tf.memory().numTensors;
  console.log = (s: string) => lines.push(s);
  let dets;
  try {
    dets = await detectImageFile(image, { model: 'fasterrcnn_resnet50_fpn', weights, backend: 'simd', out, scoreThreshold: 0.5, minSize: 128, maxSize: 192 });
  } finally {
    console.log = log;
  }
  assert.match(lines[0], /fasterrcnn_resnet50_fpn on simd, 150x90 resized to 191x115/);
  assert.match(lines[0], new RegExp(`: ${want} detections$`));
  assert.is(dets.length, want);
  assert.is(lines.length, want + 2);
  assert.equal(dets.map((d) => d.label), labels.slice(0, want), 'labels in torchvision\'s order');
  assert.match(lines[1], new RegExp(`^  [01]\\.\\d{3}  ${COCO_CATEGORY_NAMES[labels[0]]} \\(${labels[0]}\\)  \\[[-\\d.]+, [-\\d.]+, [-\\d.]+, [-\\d.]+\\]$`));
  assert.match(lines[lines.length - 1], /boxes written to/);
  const drawn = decodeImage(new Uint8Array(readFileSync(out)));
  assert.equal([drawn.width, drawn.height], [w, h]);
  assert.is(tf.memory().numTensors, tensorsBefore, 'model and folded-BN cache disposed');
});

test('detect CLI errors: unknown model, missing weights, wrong keys named', async () => {
  const run = async (o: Record<string, unknown>) => {
    try { await detectImageFile('x.png', { model: 'fasterrcnn_resnet50_fpn', backend: 'simd', ...o } as never); } catch (e) { return (e as Error).message; }
    return '';
  };
  assert.match(await run({ model: 'yolo' }), /unknown detection model 'yolo'/);
  assert.match(await run({}), /--weights/);
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, serializeSafetensors({ 'backbone.body.conv1.weight': { dtype: 'F32', shape: [1], data: new Float32Array(1) } } as never));
  const msg = await run({ weights: bad, minSize: 64, maxSize: 64 });
  assert.match(msg, /size mismatch for backbone\.body\.conv1\.weight/);
  assert.match(msg, /Missing key\(s\).*roi_heads\.box_predictor\.bbox_pred\.bias/);
});

test.run();
