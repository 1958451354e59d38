// models.summary: torchsummary's table and totals for the zoo (reference values: torchsummary
// 1.5.1 on torchvision 0.14 models, input (3, 224, 224); MACs: torchvision's documented GFLOPS).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { googlenet, resnet18, resnet50, summary, vgg16 } from '../src/models/index.js';

test.before(async () => {
  await tf.setBackend('simd');
});

test('resnet18 (3, 224, 224): the torchsummary table, row for row where it is well known', () => {
  const m = resnet18({ initWeights: false });
  m.train();
  const before = tf.memory().numTensors;
  let printed = '';
  const r = summary(m, [3, 224, 224], { print: (s) => (printed = s) });
  assert.is(r.text, printed);
  const lines = r.text.split('\n');
  assert.equal(lines.slice(0, 7), [
    '----------------------------------------------------------------',
    '        Layer (type)               Output Shape         Param #',
    '================================================================',
    '            Conv2d-1         [-1, 64, 112, 112]           9,408',
    '       BatchNorm2d-2         [-1, 64, 112, 112]             128',
    '              ReLU-3         [-1, 64, 112, 112]               0',
    '         MaxPool2d-4           [-1, 64, 56, 56]               0',
  ]);
  assert.ok(lines.includes('       BasicBlock-11           [-1, 64, 56, 56]               0'));
  assert.ok(lines.includes('AdaptiveAvgPool2d-67            [-1, 512, 1, 1]               0'));
  assert.ok(lines.includes('           Linear-68                 [-1, 1000]         513,000'));
  for (const l of ['Total params: 11,689,512', 'Trainable params: 11,689,512', 'Non-trainable params: 0',
    'Input size (MB): 0.57', 'Forward/backward pass size (MB): 62.79', 'Params size (MB): 44.59',
    'Estimated Total Size (MB): 107.96']) assert.ok(lines.includes(l), l);
  assert.is(r.rows.length, 68);
  assert.is(r.rows[10].name, 'layer1.0');
  assert.is(r.macs, 1_814_073_344); // torchvision: 1.81 GFLOPS
  // the model is left as it was: training flags restored, no hook left behind, no tensor leaked
  assert.ok(m.modules().every((x) => x.training));
  assert.ok(m.modules().every((x) => !Object.prototype.hasOwnProperty.call(x, 'forward')));
  assert.is(tf.memory().numTensors, before);
  m.dispose();
});

test('resnet50 reports 25,557,032 parameters (and torchsummary sizes); frozen layers count as non-trainable', () => {
  const m = resnet50({ initWeights: false });
  const r = summary(m, [3, 224, 224], { print: false });
  assert.is(r.totalParams, 25_557_032);
  assert.is(r.trainableParams, 25_557_032);
  assert.is(r.forwardBackwardMB.toFixed(2), '286.56');
  assert.is(r.totalMB.toFixed(2), '384.62');
  assert.ok(Math.abs(r.macs / 1e9 - 4.09) < 0.005, `MACs ${r.macs}`); // torchvision: 4.09 GFLOPS
  m.layer1.setRequiresGrad(false);
  const r2 = summary(m, [3, 64, 64], { print: false });
  assert.is(r2.totalParams, 25_557_032, 'totals do not depend on the input size');
  assert.is(r2.nonTrainableParams, m.layer1.numParameters());
  m.dispose();
});

test('vgg16 reports 138,357,544 parameters', () => {
  const m = vgg16({ initWeights: false });
  const r = summary(m, [3, 224, 224], { print: false });
  assert.is(r.totalParams, 138_357_544);
  assert.is(r.paramsMB.toFixed(2), '527.79');
  assert.is(r.rows.length, 39);
  assert.equal(r.rows[31], { ...r.rows[31], layer: 'AdaptiveAvgPool2d-32', outputShape: [-1, 512, 7, 7] });
  assert.equal(r.rows[32], { ...r.rows[32], layer: 'Linear-33', outputShape: [-1, 4096], params: 102_764_544 });
  assert.ok(Math.abs(r.macs / 1e9 - 15.47) < 0.005, `MACs ${r.macs}`); // torchvision: 15.47 GFLOPS
  m.dispose();
});

test('googlenet: eval-mode table (no aux rows); Inception rows follow their branches', () => {
  const m = googlenet({ initWeights: false });
  const r = summary(m, [3, 224, 224], { print: false });
  assert.ok(!r.rows.some((x) => x.name.startsWith('aux')));
  const i3a = r.rows.findIndex((x) => x.name === 'inception3a');
  assert.equal(r.rows[i3a].outputShape, [-1, 256, 28, 28]);
  assert.equal(r.rows[i3a - 1].name, 'inception3a.branch4.1');
  assert.ok(Math.abs(r.macs / 1e9 - 1.5) < 0.01, `MACs ${r.macs}`); // torchvision: 1.50 GFLOPS
  assert.is(r.totalParams, m.numParameters() - m.aux1!.numParameters() - m.aux2!.numParameters());
  m.dispose();
});

test('summary rejects a bad input size', () => {
  const m = resnet18({ initWeights: false });
  assert.throws(() => summary(m, [3, 0, 224], { print: false }), /positive integers/);
  m.dispose();
});

test.run();
