// ResNet-50/101/152 (Bottleneck, v1.5) against the PyTorch fixtures (keys, strict loading,
// forward on simd and cpu), the v1.5 stride placement, and replaceStrideWithDilation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { Bottleneck, resnet101, resnet152, resnet50 } from '../src/models/index.js';
import { printParityReport, registerZooTests } from './zoo_helpers';

test('Bottleneck is v1.5: the stride sits on the 3x3 conv2; downsample = conv1x1(stride) + BN', async () => {
  await tf.setBackend('simd');
  const m = resnet50({ initWeights: false });
  const b = m.layer3.at(0) as Bottleneck;
  assert.equal([b.conv1.stride, b.conv2.stride, b.conv3.stride], [[1, 1], [2, 2], [1, 1]]);
  assert.equal(b.conv2.kernelSize, [3, 3]);
  assert.equal(b.conv2.padding, [1, 1]);
  const ds = b.downsample!;
  assert.equal(ds.children().map((c) => c.constructor.name), ['Conv2d', 'BatchNorm2d']);
  assert.equal((ds.at(0) as Bottleneck['conv1']).stride, [2, 2]);
  assert.equal(m.conv1.padding, [3, 3], 'stem conv pads 3 on every side (never tfjs same)');
  assert.equal([m.maxpool.kernelSize, m.maxpool.stride, m.maxpool.padding], [[3, 3], [2, 2], [1, 1]]);
  m.dispose();
});

test('replaceStrideWithDilation [false, true, true]: output stride 8, dilated 3x3 convs, same keys', async () => {
  await tf.setBackend('simd');
  const plain = resnet50({ initWeights: false, numClasses: 5 });
  const m = resnet50({ initWeights: false, numClasses: 5, replaceStrideWithDilation: [false, true, true] });
  const b30 = m.layer3.at(0) as Bottleneck;
  const b31 = m.layer3.at(1) as Bottleneck;
  const b40 = m.layer4.at(0) as Bottleneck;
  const b41 = m.layer4.at(1) as Bottleneck;
  // torchvision: the first block of a dilated layer uses the previous dilation
  assert.equal([b30.conv2.stride, b30.conv2.dilation, b31.conv2.dilation], [[1, 1], [1, 1], [2, 2]]);
  assert.equal([b40.conv2.dilation, b41.conv2.dilation, b41.conv2.padding], [[2, 2], [4, 4], [4, 4]]);
  assert.equal((b40.downsample!.at(0) as Bottleneck['conv1']).stride, [1, 1]);
  const k1 = Object.entries(plain.stateDict()).map(([k, v]) => `${k}:${v.shape}`);
  const k2 = Object.entries(m.stateDict()).map(([k, v]) => `${k}:${v.shape}`);
  assert.equal(k2, k1, 'same state_dict keys and shapes');
  m.eval();
  const f = tf.tidy(() => m.forwardFeatures(tf.zeros([1, 64, 48, 3])));
  assert.equal(f.shape, [1, 8, 6, 2048]);
  const y = m.call(tf.zeros([1, 64, 48, 3]));
  assert.equal(y.shape, [1, 5]);
  tf.dispose([f, y]);
  plain.dispose();
  m.dispose();
});

registerZooTests(test, 'resnet50', () => resnet50({ initWeights: false }));
registerZooTests(test, 'resnet101', () => resnet101({ initWeights: false }));
registerZooTests(test, 'resnet152', () => resnet152({ initWeights: false }));

test.after(printParityReport);
test.run();
