// AlexNet and GoogLeNet against the PyTorch fixtures (keys, strict loading, forward on simd and
// cpu: AlexNet's AdaptiveAvgPool2d((6,6)) upsampling 4x5 with overlapping bins, GoogLeNet's
// ceil-mode pools with partial windows and transform_input), plus GoogLeNet's training-mode
// outputs with the aux heads and its transformInput constants.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { alexnet, googlenet, type BasicConv2d, type GoogLeNetOutputs } from '../src/models/index.js';
import { Conv2d, Linear, Sequential, initTorchvision } from '../src/nn/index.js';
import { loadModelFixture, printParityReport, registerZooTests } from './zoo_helpers';
import { seededStateDict } from './torch_weights';

registerZooTests(test, 'alexnet', () => alexnet());
registerZooTests(test, 'googlenet', () => googlenet({ transformInput: true, initWeights: false }));

test('googlenet fixture exercises ceil-mode pools with partial windows (what the parity test covers)', async () => {
  const fx = await loadModelFixture('googlenet');
  const pools = JSON.parse(fx.file.metadata.pools) as Array<{ module: string; ceil_mode: boolean; partial_window: boolean[] }>;
  assert.ok(pools.some((p) => p.ceil_mode && p.partial_window.some(Boolean)), 'some ceil-mode pool has a partial last window');
});

test('googlenet: training mode returns {logits, aux1, aux2}; eval returns logits; auxLogits=false has no aux keys', async () => {
  await tf.setBackend('simd');
  const m = googlenet({ numClasses: 10, seed: 0 });
  const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 1);
  m.train();
  const out = m.call(x) as GoogLeNetOutputs;
  assert.equal(Object.keys(out).sort(), ['aux1', 'aux2', 'logits']);
  for (const k of ['logits', 'aux1', 'aux2'] as const) assert.equal(out[k].shape, [2, 10], k);
  assert.ok(tf.tidy(() => tf.any(tf.notEqual(out.aux1, out.aux2)).dataSync()[0] === 1), 'aux heads differ');
  tf.dispose(out);
  m.eval();
  const y = m.call(x);
  assert.ok(y instanceof tf.Tensor);
  assert.equal((y as tf.Tensor).shape, [2, 10]);
  tf.dispose(y);
  const sdFull = Object.keys(m.stateDict());
  const n = googlenet({ numClasses: 10, auxLogits: false, initWeights: false });
  const sdNoAux = n.stateDict();
  assert.equal(Object.keys(sdNoAux), sdFull.filter((k) => !k.startsWith('aux')));
  tf.dispose(Object.values(sdNoAux));
  n.train();
  const yn = n.call(x);
  assert.ok(yn instanceof tf.Tensor, 'no aux heads -> logits even in training mode');
  tf.dispose([yn, x]);
  m.dispose();
  n.dispose();
});

test("googlenet transformInput = torchvision's constants applied per channel", async () => {
  await tf.setBackend('simd');
  const fx = await loadModelFixture('googlenet');
  const sd = seededStateDict(fx.entries);
  const a = googlenet({ transformInput: true, initWeights: false }).eval();
  const b = googlenet({ transformInput: false, initWeights: false }).eval();
  a.loadStateDict(sd);
  b.loadStateDict(sd);
  const x = tf.randomUniform([1, 40, 44, 3], -2, 2, 'float32', 2);
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const xt = tf.tidy(() => tf.add(tf.mul(x, std.map((s) => s / 0.5)), mean.map((m) => (m - 0.5) / 0.5)));
  const ya = a.call(x) as tf.Tensor;
  const yb = b.call(xt) as tf.Tensor;
  const err = tf.tidy(() => tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0]);
  assert.ok(err < 1e-4, `transform_input mismatch ${err}`);
  tf.dispose([x, xt, ya, yb]);
  a.dispose();
  b.dispose();
});

function stats(t: tf.Tensor): { std: number; mean: number; maxAbs: number } {
  const v = t.dataSync();
  let s = 0, s2 = 0, m = 0;
  for (const a of v) {
    s += a;
    s2 += a * a;
    m = Math.max(m, Math.abs(a));
  }
  return { mean: s / v.length, std: Math.sqrt(s2 / v.length - (s / v.length) ** 2), maxAbs: m };
}

test("torchvision inits: GoogLeNet trunc_normal_(0, 0.01, -2, 2); VGG kaiming_normal_(fan_out) convs, N(0, 0.01) linears", async () => {
  await tf.setBackend('simd');
  const g = googlenet({ seed: 4 });
  const c = stats((g.inception4c.branch2.at(1) as BasicConv2d).conv.weight);
  assert.ok(Math.abs(c.std - 0.01) < 0.0005 && Math.abs(c.mean) < 0.0005 && c.maxAbs < 0.07, JSON.stringify(c));
  const f = stats(g.fc.weight);
  assert.ok(Math.abs(f.std - 0.01) < 0.0005, JSON.stringify(f));
  assert.equal(Array.from(new Set(g.conv1.bn.weight!.dataSync())), [1]);
  g.dispose();
  const seq = new Sequential(new Conv2d(16, 32, 3, { padding: 1 }), new Linear(300, 200));
  initTorchvision(seq, { conv: 'kaimingNormalFanOut', linear: 'normal0.01' }, 5);
  const conv = seq.at(0) as Conv2d;
  const lin = seq.at(1) as Linear;
  const cs = stats(conv.weight);
  assert.ok(Math.abs(cs.std - Math.sqrt(2 / (32 * 9))) < 0.05 * Math.sqrt(2 / (32 * 9)), JSON.stringify(cs));
  assert.equal(Array.from(new Set(conv.bias!.dataSync())), [0]);
  const ls = stats(lin.weight);
  assert.ok(Math.abs(ls.std - 0.01) < 0.0005, JSON.stringify(ls));
  assert.equal(Array.from(new Set(lin.bias!.dataSync())), [0]);
  seq.dispose();
});

test.after(printParityReport);
test.run();
