/**
 * The weight initialisations torchvision's classification models apply after construction
 * (torchvision/models/{vgg,resnet,googlenet}.py `__init__` loops over `self.modules()`), drawn
 * from the same seedable JS generators as src/nn/init.ts (so identical on every backend; the
 * distributions match PyTorch's, the numbers cannot).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AnyModule } from './module.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import { BatchNorm2d } from './batchnorm.js';
import { type Rng, getRng } from './init.js';

/** i.i.d. N(mean, std²) samples (Box-Muller), optionally truncated to [a, b] by rejection. */
export function normal(shape: number[], mean: number, std: number, rng: Rng = getRng(), a = -Infinity, b = Infinity): tf.Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  let i = 0;
  while (i < n) {
    const u1 = 1 - rng.next(); // (0, 1]
    const u2 = rng.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    for (const z of [r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2)]) {
      const v = mean + std * z;
      if (i < n && v >= a && v <= b) data[i++] = v;
    }
  }
  return tf.tensor(data, shape, 'float32');
}

function set(v: tf.Variable, t: tf.Tensor): void {
  v.assign(t);
  t.dispose();
}

export type ConvInit = 'kaimingNormalFanOut' | 'truncNormal0.01' | 'default';
export type LinearInit = 'normal0.01' | 'truncNormal0.01' | 'default';

export interface TorchvisionInit {
  conv: ConvInit;
  linear: LinearInit;
  /** Set BatchNorm weight 1 / bias 0 (they already are after construction; kept for clarity). */
  batchNormOnesZeros?: boolean;
}

/**
 * Re-initialises every Conv2d / Linear / BatchNorm2d of `root` as torchvision does:
 * - 'kaimingNormalFanOut': kaiming_normal_(mode='fan_out', nonlinearity='relu'),
 *   std = sqrt(2 / (Cout·kh·kw)), conv bias 0 (VGG, ResNet);
 * - 'truncNormal0.01': trunc_normal_(mean=0, std=0.01, a=-2, b=2) on the weight only, biases
 *   keep their default init (GoogLeNet, for Conv2d and Linear);
 * - 'normal0.01': normal_(0, 0.01) weight, bias 0 (VGG's Linear).
 */
export function initTorchvision(root: AnyModule, scheme: TorchvisionInit, seed?: number): void {
  const rng = getRng(seed);
  for (const m of root.modules()) {
    if (m instanceof Conv2d) {
      const [kh, kw] = m.kernelSize;
      if (scheme.conv === 'kaimingNormalFanOut') {
        set(m.weight, normal(m.weight.shape, 0, Math.sqrt(2 / (m.outChannels * kh * kw)), rng));
        if (m.bias) set(m.bias, tf.zerosLike(m.bias));
      } else if (scheme.conv === 'truncNormal0.01') {
        set(m.weight, normal(m.weight.shape, 0, 0.01, rng, -2, 2));
      }
    } else if (m instanceof Linear) {
      if (scheme.linear === 'normal0.01') {
        set(m.weight, normal(m.weight.shape, 0, 0.01, rng));
        if (m.bias) set(m.bias, tf.zerosLike(m.bias));
      } else if (scheme.linear === 'truncNormal0.01') {
        set(m.weight, normal(m.weight.shape, 0, 0.01, rng, -2, 2));
      }
    } else if (m instanceof BatchNorm2d && scheme.batchNormOnesZeros) {
      if (m.weight) set(m.weight, tf.onesLike(m.weight));
      if (m.bias) set(m.bias, tf.zerosLike(m.bias));
    }
  }
}
