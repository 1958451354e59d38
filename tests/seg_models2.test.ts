// U-Net (src/models/unet.ts), PSPNet (pspnet.ts) and FCN-8s (fcn8s.ts) against the PyTorch
// modules of tests/fixtures/torch/gen_segmentation2.py: state_dict keys/shapes/order, parameter
// counts, strict load of the seeded weights, forward parity on simd and cpu (U-Net with transposed
// and bilinear up paths and without BN on a 37x45 input, PSPNet-ResNet-50 with its aux head on
// 65x73, a narrow FCN-8s on 50x61), the full-size parameter counts PyTorch reports, FCN's bilinear
// init, errors, summary() and tensor leaks.
// Time: ~25 s on 2 cores (PSPNet's dilated ResNet-50 on tfjs-cpu is most of it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import {
  PSPHead, PSPNet, PyramidPooling, bilinearKernel, fcn8s, pspnet_resnet50, summary, unet,
} from '../src/models/index.js';
import { ConvTranspose2d, Upsample } from '../src/nn/index.js';
import { segment } from '../src/models/segment.js';
import { SEG_ZOO } from '../src/cli/segment_job.js';
import { Bottleneck } from '../src/models/resnet.js';
import {
  compareNhwcToTorch, expectSameKeys, fixtureTensor, loadModelFixture, nchwToNhwc, nhwcToNchw, type ModelFixture,
} from './zoo_helpers';
import type { AnyModule } from '../src/nn/index.js';
import { seededStateDict } from './torch_weights';

const report: string[] = [];

/** {@link compareNhwcToTorch} into this file's report. */
function compare(got: tf.Tensor, want: { shape: number[]; data: Float32Array }, label: string): void {
  compareNhwcToTorch(got, want, label, report);
}

const FCN_CFG = [8, 8, 'M', 16, 16, 'M', 32, 32, 32, 'M', 32, 32, 32, 'M', 32, 32, 32, 'M'] as const;

/**
 * registerZooTests for dense outputs: keys/order/shapes and parameter count = the PyTorch module;
 * strict seeded load; forward (NHWC) = PyTorch's NCHW output on simd and cpu; no leaks.
 */
function registerDenseTests(fixture: string, make: () => AnyModule): void {
  let model: AnyModule | null = null;
  let fx: ModelFixture | null = null;
  let before = 0;
  test(`${fixture}: state_dict keys/shapes/order and parameter count = the PyTorch module's`, async () => {
    fx = await loadModelFixture(fixture);
    assert.ok(await tf.setBackend('simd'));
    before = tf.memory().numTensors;
    model = make();
    expectSameKeys(model, fx, fixture);
    assert.is(model.numParameters(), fx.paramCount, `${fixture}: parameter count`);
  });
  test(`${fixture}: strict load of the seeded weights; forward = PyTorch on simd and cpu`, async () => {
    if (model == null || fx == null) throw new Error(`${fixture}: the model was not built (see the previous test)`);
    const m = model, f = fx;
    try {
      assert.ok(await tf.setBackend('simd'));
      m.loadStateDict(seededStateDict(f.entries), { strict: true });
      m.eval();
      for (const backend of ['simd', 'cpu']) {
        assert.ok(await tf.setBackend(backend));
        const x = nchwToNhwc(f.input.data, f.input.shape);
        (m.call(x) as tf.Tensor).dispose(); // first call: folds the BatchNorms (cached tensors)
        const n = tf.memory().numTensors;
        const y = m.call(x) as tf.Tensor;
        assert.is(tf.memory().numTensors, n + 1, `${fixture} on ${backend}: only the output is left`);
        compare(y, f.output, `${fixture} (${backend})`);
        const yf = m.forward(x) as tf.Tensor; // directly, outside any tidy (PyTorch's model.forward(x))
        assert.is(tf.memory().numTensors, n + 2, `${fixture} on ${backend}: forward() leaves only its output`);
        compare(yf, f.output, `${fixture} forward() (${backend})`);
        tf.dispose([x, y, yf]);
      }
    } finally {
      await tf.setBackend('simd');
      m.dispose();
      model = null;
      fx = null;
    }
    assert.is(tf.memory().numTensors, before, `${fixture}: tensors leaked after dispose`);
  });
}

registerDenseTests('unet_tconv', () => unet({ inChannels: 3, numClasses: 3, baseWidth: 8, depth: 4 }));
registerDenseTests('unet_bilinear', () => unet({ inChannels: 3, numClasses: 3, baseWidth: 8, depth: 4, bilinear: true }));
registerDenseTests('unet_plain', () => unet({ inChannels: 2, numClasses: 4, baseWidth: 6, depth: 3, batchNorm: false }));
registerDenseTests('fcn8s_small', () => fcn8s({ numClasses: 5, config: FCN_CFG, fcChannels: 64 }));

test('U-Net structure: milesial keys, up modes, full-size parameter counts (PyTorch: 31,037,698 / 17,263,042)', async () => {
  assert.ok(await tf.setBackend('simd'));
  const before = tf.memory().numTensors;
  const m = unet({ numClasses: 2 });
  const msd = m.stateDict();
  const keys = Object.keys(msd);
  tf.dispose(Object.values(msd));
  assert.is(m.numParameters(), 31037698);
  for (const k of ['inc.double_conv.0.weight', 'inc.double_conv.1.running_var', 'down1.maxpool_conv.1.double_conv.3.weight',
    'down4.maxpool_conv.1.double_conv.4.bias', 'up1.up.weight', 'up1.up.bias', 'up1.conv.double_conv.0.weight', 'up4.conv.double_conv.4.weight',
    'outc.conv.weight', 'outc.conv.bias']) assert.ok(keys.includes(k), k);
  assert.is(keys[keys.length - 1], 'outc.conv.bias');
  const up1 = (m as unknown as { up1: { up: ConvTranspose2d } }).up1.up;
  assert.ok(up1 instanceof ConvTranspose2d);
  assert.equal([up1.inChannels, up1.outChannels, up1.kernelSize, up1.stride], [1024, 512, [2, 2], [2, 2]]);
  m.dispose();
  const b = unet({ numClasses: 2, bilinear: true });
  assert.is(b.numParameters(), 17263042);
  assert.ok((b as unknown as { up2: { up: Upsample } }).up2.up instanceof Upsample);
  b.dispose();
  assert.is(tf.memory().numTensors, before);
});

test('U-Net: errors for bad options and inputs; no leaks over repeated calls; summary()', async () => {
  assert.ok(await tf.setBackend('simd'));
  assert.throws(() => unet({ baseWidth: 7 }), /baseWidth must be even/);
  assert.throws(() => unet({ depth: 0 }), /depth/);
  const m = unet({ inChannels: 1, numClasses: 2, baseWidth: 4, depth: 2 }).eval();
  assert.throws(() => tf.tidy(() => m.forward(tf.zeros([1, 8, 8, 3]))), /expected NHWC \[N, H, W, 1\]/);
  assert.throws(() => tf.tidy(() => m.forward(tf.zeros([1, 3, 8, 1]))), /2\^depth = 4/);
  const x = tf.randomNormal([2, 9, 7, 1]);
  const y0 = m.forward(x);
  assert.equal(y0.shape, [2, 9, 7, 2]);
  y0.dispose();
  const n = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) m.forward(x).dispose();
  assert.is(tf.memory().numTensors, n, 'no tensors left by forward');
  const s = summary(m, [1, 9, 7], { print: false });
  assert.is(s.totalParams, m.numParameters());
  // up2: 4x3 -> ConvTranspose2d 8x6 (then padded to the skip's 9x7 by Up)
  assert.equal(s.rows.filter((r) => r.layer.startsWith('ConvTranspose2d')).map((r) => r.outputShape), [[-1, 8, 4, 2], [-1, 4, 8, 6]]);
  assert.equal(s.rows.filter((r) => r.layer.startsWith('Up-')).map((r) => r.outputShape), [[-1, 8, 4, 3], [-1, 4, 9, 7]]);
  assert.equal(s.rows[s.rows.length - 1].outputShape, [-1, 2, 9, 7]);
  x.dispose();
  m.dispose();
});

test('PSPNet-ResNet-50: keys = the PyTorch module, strict load, forward = PyTorch on simd (out, classifier, aux); PPM and aux head on cpu', async () => {
  const fx = await loadModelFixture('pspnet_resnet50');
  assert.ok(await tf.setBackend('simd'));
  const before = tf.memory().numTensors;
  const m = pspnet_resnet50({ auxLoss: true, initWeights: false });
  try {
    expectSameKeys(m, fx, 'pspnet_resnet50(auxLoss)');
    assert.is(m.numParameters(), fx.paramCount);
    assert.is(m.numParameters(), 48957802);
    assert.ok(m instanceof PSPNet && m.classifier instanceof PSPHead && m.classifier.at(0) instanceof PyramidPooling);
    assert.equal((m.classifier.at(0) as PyramidPooling).bins, [1, 2, 3, 6]);
    const b = m.backbone.layer4.at(1) as Bottleneck;
    assert.equal(b.conv2.dilation, [4, 4]);
    m.loadStateDict(seededStateDict(fx.entries), { strict: true });
    m.eval();
    const x = nchwToNhwc(fx.input.data, fx.input.shape);
    try {
      const size: [number, number] = [fx.input.shape[2], fx.input.shape[3]];
      let t0 = performance.now();
      tf.tidy(() => {
        const feats = m.backbone.features(x, true);
        const res = m.forwardHeads(feats, size);
        compare(res.out, fx.output, 'pspnet out (simd)');
        compare(m.classifier.forward(feats.out), fixtureTensor(fx.file, 'classifier'), 'pspnet classifier (simd)');
        compare(m.aux_classifier!.forward(feats.aux!), fixtureTensor(fx.file, 'aux_classifier'), 'pspnet aux_classifier (simd)');
      });
      report.push(`simd pspnet forwardDict+heads ${(performance.now() - t0).toFixed(0)} ms`);
      const n = tf.memory().numTensors;
      const logits = m.call(x);
      assert.is(tf.memory().numTensors, n + 1, 'call leaves only its output');
      const direct = m.forward(x); // PyTorch's model.forward(x), outside any tidy
      assert.is(tf.memory().numTensors, n + 2, 'forward() leaves only its output');
      compare(direct, fx.output, 'pspnet forward() (simd)');
      direct.dispose();
      // segment() (and so the CLI job, where SEG_ZOO lists pspnet_resnet50/101) takes a PSPNet
      const want = tf.tidy(() => tf.argMax(logits, 3).dataSync());
      logits.dispose();
      const seg = segment(m, x);
      assert.equal(Array.from(seg.classMap), Array.from(want));
      assert.is(tf.memory().numTensors, n);
      assert.ok(SEG_ZOO.pspnet_resnet50 === pspnet_resnet50 && typeof SEG_ZOO.fcn8s === 'function');
      // cpu: the pyramid pooling module (against simd's, which the PyTorch check above covers)
      // and the aux head (against PyTorch) on the backbone features computed by simd. The dilated
      // ResNet-50 is checked on cpu by seg_models.test.ts; the PSP head's 3x3 conv 4096->512 and
      // the full backbone take 20-40 s each on tfjs-cpu here, too slow to repeat.
      const feats = tf.tidy(() => m.backbone.features(x, true));
      const ppmSimd = tf.tidy(() => nhwcToNchw(m.classifier.at(0).forward(feats.out)));
      const ppmWant = { shape: ppmSimd.shape, data: ppmSimd.dataSync() as Float32Array };
      const fd = { out: await feats.out.array(), aux: await feats.aux!.array() };
      tf.dispose([feats.out, feats.aux!, ppmSimd]);
      assert.ok(await tf.setBackend('cpu'));
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      t0 = performance.now();
      tf.tidy(() => {
        const f = { out: tf.tensor4d(fd.out), aux: tf.tensor4d(fd.aux) };
        compare(m.classifier.at(0).forward(f.out), ppmWant, 'pspnet PyramidPooling (cpu vs simd)');
        compare(m.aux_classifier!.forward(f.aux), fixtureTensor(fx.file, 'aux_classifier'), 'pspnet aux_classifier (cpu)');
      });
      report.push(`cpu pspnet heads ${(performance.now() - t0).toFixed(0)} ms`);
    } finally {
      x.dispose();
      await tf.setBackend('simd');
    }
  } finally {
    m.dispose();
  }
  assert.is(tf.memory().numTensors, before, 'tensors leaked after dispose');
  const plain = pspnet_resnet50({ initWeights: false });
  assert.is(plain.numParameters(), 46592597); // PyTorch, no aux head
  plain.dispose();
});

test('FCN-8s: bilinear init = wkentaro get_upsampling_weight; upscore shapes; crop offsets; errors', async () => {
  assert.ok(await tf.setBackend('simd'));
  // wkentaro get_upsampling_weight(3, 3, 4)[0, 0, 1] (printed by gen_segmentation2.py counts)
  const k4 = bilinearKernel(3, 4);
  assert.equal(Array.from(k4.slice(4, 8)), [0.1875, 0.5625, 0.5625, 0.1875]);
  assert.ok(k4.slice(16, 32).every((v) => v === 0), 'off-diagonal channel pairs are zero');
  assert.is(k4[(1 * 3 + 1) * 16 + 5], 0.75 * 0.75); // channel 1->1, tap (1, 1): (1 - 0.5/2)^2
  const m = fcn8s({ numClasses: 3, config: FCN_CFG, fcChannels: 16, seed: 1 }).eval();
  try {
    const sd = m.stateDict();
    try {
      assert.equal(sd['upscore8.weight'].shape, [3, 3, 16, 16]);
      assert.equal(Array.from(sd['upscore8.weight'].dataSync()), Array.from(bilinearKernel(3, 16)));
      assert.equal(Array.from(sd['upscore2.weight'].dataSync()), Array.from(bilinearKernel(3, 4)));
      assert.ok(!('upscore2.bias' in sd));
      assert.equal(sd['features.0.weight'].shape, [8, 3, 3, 3]);
    } finally {
      tf.dispose(Object.values(sd));
    }
    // a bilinear-initialised upscore2 maps a constant map to the constant (interior)
    const v = tf.tidy(() => m.upscore2.forward(tf.fill([1, 4, 4, 3], 2)).slice([0, 2, 2, 0], [1, 6, 6, 3]).dataSync());
    assert.ok(v.every((e) => Math.abs(e - 2) < 1e-6), 'interior of a bilinear upsample of a constant');
    assert.throws(() => tf.tidy(() => m.forward(tf.zeros([1, 25, 40, 3]))), />= 26/);
    assert.throws(() => tf.tidy(() => m.forward(tf.zeros([1, 40, 40, 1]))), /\[N, H, W, 3\]/);
    const n = tf.memory().numTensors;
    for (const [h, w] of [[26, 26], [33, 70]]) {
      const x = tf.zeros([1, h, w, 3]);
      const y = m.forward(x);
      assert.equal(y.shape, [1, h, w, 3], `output at the input size for ${h}x${w}`);
      tf.dispose([x, y]);
    }
    assert.is(tf.memory().numTensors, n, 'no tensors left by forward');
  } finally {
    m.dispose();
  }
  assert.throws(() => fcn8s({ config: [8, 'M', 8, 'M'] }), /5 pools/);
});

test.after(() => { if (report.length) console.log('\n' + report.join('\n')); });
test.run();
