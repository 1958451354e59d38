// FCN-ResNet-50 / DeepLabV3-ResNet-50 (src/models/segmentation.ts) against torchvision 0.14
// (tests/fixtures/torch/gen_segmentation.py): state_dict keys/shapes/order, parameter counts,
// strict load of the seeded weights, forward parity on simd and cpu (incl. the aux head and the
// pre-upsample head outputs); segment() / vocPalette / overlayPng and the `segment` CLI job.
// Time (~55 s on 2 cores, nearly all tfjs-cpu): the backbone (ResNet-50, output stride 8,
// 121x137) runs twice on simd and once on cpu, followed there by the DeepLab head only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  ASPPPooling, DeepLabHead, FCNHead, deeplabv3_resnet50, fcn_resnet50, type SegmentationModel,
} from '../src/models/index.js';
import { classFractions, maskRgb, overlayPng, segment, segmentAsync, VOC_CLASSES, vocPalette } from '../src/models/segment.js';
import { segmentImageFile } from '../src/cli/segment_job.js';
import { serializeSafetensors } from '../src/io/safetensors.js';
import { decodeImage, encodePng } from '../src/io/image.js';
import { Bottleneck } from '../src/models/resnet.js';
import { compareNhwcToTorch, expectSameKeys, fixtureTensor, loadModelFixture, nchwToNhwc, nhwcToNchw, type ModelFixture } from './zoo_helpers';
import { seededStateDict, type SeededTensor } from './torch_weights';

const report: string[] = [];

/** {@link compareNhwcToTorch} into this file's report. */
function compare(got: tf.Tensor, want: { shape: number[]; data: Float32Array }, label: string): number {
  return compareNhwcToTorch(got, want, label, report);
}

let fcnFx: ModelFixture | null = null;
let dlFx: ModelFixture | null = null;
let fcn: SegmentationModel | null = null;
let dl: SegmentationModel | null = null;
let tensorsBefore = 0;
let dlWeights: Map<string, SeededTensor> | null = null;

test('state_dict keys/shapes/order and parameter counts = torchvision 0.14 (fcn aux_loss=True, deeplabv3 default)', async () => {
  fcnFx = await loadModelFixture('fcn_resnet50');
  dlFx = await loadModelFixture('deeplabv3_resnet50');
  assert.ok(await tf.setBackend('simd'));
  tensorsBefore = tf.memory().numTensors;
  fcn = fcn_resnet50({ auxLoss: true, initWeights: false });
  dl = deeplabv3_resnet50({ initWeights: false });
  expectSameKeys(fcn, fcnFx, 'fcn_resnet50(auxLoss)');
  expectSameKeys(dl, dlFx, 'deeplabv3_resnet50');
  assert.is(fcn.numParameters(), fcnFx.paramCount);
  assert.is(fcn.numParameters(), 35322218);
  assert.is(dl.numParameters(), dlFx.paramCount);
  assert.is(dl.numParameters(), 39638869);
  // torchvision's default (weights=None -> aux_loss False): no aux_classifier keys
  const plain = fcn_resnet50({ initWeights: false });
  const sd = plain.stateDict();
  const keys = Object.keys(sd);
  tf.dispose(Object.values(sd));
  assert.equal(keys, fcnFx.entries.map((e) => e.name).filter((k) => !k.startsWith('aux_classifier.')));
  assert.is(plain.numParameters(), 32957013);
  assert.ok(!keys.some((k) => k.startsWith('backbone.fc') || k.startsWith('backbone.avgpool')));
  // structure: output stride 8, dilated layer3/4, ASPP rates
  const b40 = plain.backbone.layer4.at(0) as Bottleneck;
  const b41 = plain.backbone.layer4.at(1) as Bottleneck;
  assert.equal([b40.conv2.stride, b40.conv2.dilation, b41.conv2.dilation], [[1, 1], [2, 2], [4, 4]]);
  assert.ok(plain.classifier instanceof FCNHead);
  assert.ok(dl.classifier instanceof DeepLabHead);
  const aspp = dl.classifier.at(0) as unknown as { convs: { at(i: number): { at(j: number): { dilation: number[]; padding: unknown } } } };
  assert.equal([1, 2, 3].map((i) => aspp.convs.at(i).at(0).dilation), [[12, 12], [24, 24], [36, 36]]);
  assert.ok((aspp.convs as unknown as { at(i: number): unknown }).at(4) instanceof ASPPPooling);
  plain.dispose();
});

test('strict load of the seeded weights; forward = PyTorch on simd and cpu (out, classifier, aux_classifier)', async () => {
  if (!fcn || !dl || !fcnFx || !dlFx) throw new Error('models not built (see the previous test)');
  const f = fcnFx, d = dlFx;
  try {
    assert.ok(await tf.setBackend('simd'));
    const fsd = seededStateDict(f.entries);
    fcn.loadStateDict(fsd, { strict: true });
    // the backbone entries are the same names/shapes, hence the same seeded values: reuse them
    const dsd = new Map<string, SeededTensor>();
    const shared = (name: string) => name.startsWith('backbone.') && fsd.has(name);
    const rest = seededStateDict(d.entries.filter((e) => !shared(e.name)));
    for (const e of d.entries) dsd.set(e.name, shared(e.name) ? fsd.get(e.name)! : rest.get(e.name)!);
    dl.loadStateDict(dsd, { strict: true });
    dlWeights = dsd; // reused by the CLI test
    fcn.eval();
    dl.eval();
    const size: [number, number] = [f.input.shape[2], f.input.shape[3]];
    const x = nchwToNhwc(f.input.data, f.input.shape);
    try {
      // simd: full forward of both models, plus the heads before the upsample
      let t0 = performance.now();
      const dOut = dl.call(x);
      const msDl = performance.now() - t0;
      compare(dOut, d.output, 'deeplabv3_resnet50 out (simd)');
      dOut.dispose();
      // forward / forwardDict / features / forwardHeads called directly (PyTorch's model.forward(x)),
      // outside any tidy: only their outputs are left (the BN folding is cached by the call above).
      let n = tf.memory().numTensors;
      const direct = dl.forward(x);
      assert.is(tf.memory().numTensors, n + 1, 'deeplabv3 forward() leaves only its output');
      compare(direct, d.output, 'deeplabv3_resnet50 forward() (simd)');
      direct.dispose();
      const warm = tf.tidy(() => fcn!.forwardDict(x)); // fold fcn's BatchNorms (both heads)
      tf.dispose([warm.out, warm.aux!]);
      n = tf.memory().numTensors;
      const dict = fcn.forwardDict(x);
      assert.is(tf.memory().numTensors, n + 2, 'fcn forwardDict() leaves only out and aux');
      compare(dict.out, f.output, 'fcn_resnet50 forwardDict().out (simd)');
      tf.dispose([dict.out, dict.aux!]);
      const fts = fcn.backbone.features(x, true);
      assert.is(tf.memory().numTensors, n + 2, 'features(x, true) leaves only out and aux');
      const heads = fcn.forwardHeads(fts, size);
      assert.is(tf.memory().numTensors, n + 4, 'forwardHeads() leaves only out and aux');
      const l4 = fcn.backbone.forward(x);
      assert.is(tf.memory().numTensors, n + 5, 'backbone forward() leaves only layer4');
      tf.dispose([fts.out, fts.aux!, heads.out, heads.aux!, l4]);
      assert.is(tf.memory().numTensors, n);
      t0 = performance.now();
      tf.tidy(() => {
        const feats = fcn!.backbone.features(x, true);
        const res = fcn!.forwardHeads(feats, size); // = forwardDict(x)
        compare(res.out, f.output, 'fcn_resnet50 out (simd)');
        assert.equal(res.aux!.shape, [1, size[0], size[1], 21]);
        compare(fcn!.classifier.forward(feats.out), fixtureTensor(f.file, 'classifier'), 'fcn classifier (simd)');
        compare(fcn!.aux_classifier!.forward(feats.aux!), fixtureTensor(f.file, 'aux_classifier'), 'fcn aux_classifier (simd)');
        compare(dl!.classifier.forward(feats.out), fixtureTensor(d.file, 'classifier'), 'deeplabv3 classifier (simd)');
      });
      const msFcn = performance.now() - t0;
      report.push(`simd at 121x137: deeplabv3 forward ${msDl.toFixed(0)} ms, fcn forwardDict + heads ${msFcn.toFixed(0)} ms`);
      // cpu (tfjs' naive reference kernels, ~40 s here): one backbone run + the DeepLab head. The
      // FCN head (3x3 conv+BN+ReLU, 1x1 conv, upsample: the same ops as DeepLab's tail) is left
      // to simd to keep the file under a minute.
      assert.ok(await tf.setBackend('cpu'));
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false; // no tfjs-node notice
      tf.tidy(() => {
        let t1 = performance.now();
        const feats = dl!.backbone.features(x, false);
        feats.out.dataSync();
        report.push(`cpu backbone ${(performance.now() - t1).toFixed(0)} ms`);
        t1 = performance.now();
        compare(dl!.forwardHeads(feats, size).out, d.output, 'deeplabv3_resnet50 out (cpu)');
        report.push(`cpu deeplab head ${(performance.now() - t1).toFixed(0)} ms`);

      });
    } finally {
      x.dispose();
      await tf.setBackend('simd');
    }
  } finally {
    fcn.dispose();
    dl.dispose();
    fcn = dl = null;
  }
  assert.is(tf.memory().numTensors, tensorsBefore, 'tensors leaked after dispose');
});

test('vocPalette: VOC bit-interleaved colour map; VOC_CLASSES', () => {
  const p = vocPalette();
  assert.is(p.length, 768);
  const c = (i: number) => [p[3 * i], p[3 * i + 1], p[3 * i + 2]];
  assert.equal(c(0), [0, 0, 0]);
  assert.equal(c(1), [128, 0, 0]);
  assert.equal(c(2), [0, 128, 0]);
  assert.equal(c(3), [128, 128, 0]);
  assert.equal(c(7), [128, 128, 128]);
  assert.equal(c(8), [64, 0, 0]);
  assert.equal(c(15), [192, 128, 128]); // person
  assert.equal(c(20), [0, 64, 128]); // tvmonitor
  assert.equal(c(255), [224, 224, 192]); // void
  assert.is(VOC_CLASSES.length, 21);
  assert.is(VOC_CLASSES[15], 'person');
  assert.is(vocPalette(21).length, 63);
});

test('segment(): argmax at the input size for ImageU8 (normalized) and NHWC tensors; overlay / mask / fractions', async () => {
  assert.ok(await tf.setBackend('simd'));
  // a tiny "model": logits = per-channel affine of the input -> 3 classes; class = argmax
  const W = 7, H = 5;
  const fake = {
    forward: (x: tf.Tensor) => tf.concat([tf.zeros([1, H, W, 1]), tf.slice(x, [0, 0, 0, 0], [1, H, W, 2])], 3),
  } as never;
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) { data[3 * i] = (i * 40) % 256; data[3 * i + 1] = (i * 97) % 256; data[3 * i + 2] = 0; }
  const img = { width: W, height: H, channels: 3 as const, data };
  const before = tf.memory().numTensors;
  const r = segment(fake, img, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  assert.is(tf.memory().numTensors, before, 'no tensors left');
  assert.equal([r.width, r.height, r.classMap.length], [W, H, W * H]);
  for (let i = 0; i < W * H; i++) {
    const v = [0, data[3 * i] / 255 * 2 - 1, data[3 * i + 1] / 255 * 2 - 1];
    const want = v.indexOf(Math.max(...v));
    assert.is(r.classMap[i], want, `pixel ${i}`);
  }
  const t = tf.tensor4d(Array.from({ length: W * H * 3 }, (_, i) => (i % 3 === 2 ? 5 : 0)), [1, H, W, 3]);
  const r2 = segment(fake, t);
  assert.ok(r2.classMap.every((c) => c === 0), 'tensor used as is');
  t.dispose();
  assert.throws(() => segment(fake, { width: W, height: H, channels: 1, data: new Uint8Array(W * H) }), /RGB/);
  // segmentAsync: the same map, read without blocking; nothing left; the same errors as rejections
  const ra = await segmentAsync(fake, img, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  assert.equal([ra.width, ra.height], [W, H]);
  assert.equal(Array.from(ra.classMap), Array.from(r.classMap));
  assert.is(tf.memory().numTensors, before, 'no tensors left after segmentAsync');
  try {
    await segmentAsync(fake, { width: W, height: H, channels: 1, data: new Uint8Array(W * H) });
    assert.unreachable('segmentAsync of a 1-channel image must reject');
  } catch (e) {
    assert.match((e as Error).message, /RGB/);
  }
  const png = overlayPng(img, r.classMap, 0.5);
  const back = decodeImage(png);
  const pal = vocPalette();
  for (let i = 0; i < W * H; i++) {
    const k = r.classMap[i];
    for (let ch = 0; ch < 3; ch++) {
      const want = k === 0 ? data[3 * i + ch] : Math.round(0.5 * data[3 * i + ch] + 0.5 * pal[3 * k + ch]);
      assert.is(back.data[3 * i + ch], want);
    }
  }
  assert.throws(() => overlayPng(img, new Int32Array(3)), /classMap/);
  const m = maskRgb(r);
  assert.equal([m.data[0], m.data[1], m.data[2]], [0, 0, 0].map((_, ch) => pal[3 * r.classMap[0] + ch]));
  const fr = classFractions(r.classMap);
  assert.is(Math.round(fr.reduce((s, e) => s + e.fraction, 0) * 1e9), 1e9);
  for (let i = 1; i < fr.length; i++) assert.ok(fr[i].fraction <= fr[i - 1].fraction);
});

test('CLI segment job: deeplabv3_resnet50 with seeded weights on a small image writes the mask and prints classes', async () => {
  assert.ok(await tf.setBackend('simd'));
  const dir = mkdtempSync(join(tmpdir(), 'simdnet-seg-'));
  const seeded = dlWeights ?? seededStateDict((await loadModelFixture('deeplabv3_resnet50')).entries);
  dlWeights = null;
  const tensors: Record<string, unknown> = {};
  for (const [k, t] of seeded) {
    tensors[k] = t.data instanceof Float32Array ? { dtype: 'F32', shape: t.shape, data: t.data } : { dtype: 'I64', shape: t.shape, data: Array.from(t.data) };
  }
  const weights = join(dir, 'dl.safetensors');
  writeFileSync(weights, serializeSafetensors(tensors as never));
  const w = 45, h = 33;
  const px = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 251);
  const image = join(dir, 'img.png');
  writeFileSync(image, encodePng(w, h, px));
  const out = join(dir, 'mask.png');
  const overlay = join(dir, 'overlay.png');
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => lines.push(s);
  let res;
  try {
    res = await segmentImageFile(image, { model: 'deeplabv3_resnet50', weights, out, overlay, backend: 'simd', size: 40 });
  } finally {
    console.log = log;
  }
  assert.match(lines[0], /deeplabv3_resnet50 on simd, 54x40/);
  const classLines = lines.filter((l) => /%/.test(l));
  assert.ok(classLines.length >= 1);
  const total = classLines.reduce((s, l) => s + parseFloat(l), 0);
  assert.ok(Math.abs(total - 100) < 0.05 * classLines.length, `fractions sum to 100% (${total})`);
  assert.match(classLines[0], /\(\d+\)$/);
  assert.equal([res.width, res.height], [w, h]);
  const mask = decodeImage(new Uint8Array(readFileSync(out)));
  assert.equal([mask.width, mask.height], [w, h]);
  const pal = vocPalette();
  assert.equal([mask.data[0], mask.data[1], mask.data[2]], [0, 1, 2].map((ch) => pal[3 * res.classMap[0] + ch]));
  assert.equal([decodeImage(new Uint8Array(readFileSync(overlay))).width], [w]);
  let err: Error | null = null;
  try { await segmentImageFile(image, { model: 'fcn_resnet50', weights, backend: 'simd' }); } catch (e) { err = e as Error; }
  assert.ok(err, 'strict load of deeplab weights into fcn throws');
  assert.match(err!.message, /classifier/);
});

test.after(() => { if (report.length) console.log('\n' + report.join('\n')); });
test.run();
