/**
 * Conv2d → BatchNorm2d → ReLU as one fused convolution in eval mode (the house rule "BN folded
 * for eval"), without changing the module tree or the state dict.
 *
 * A block calls {@link convBnAct}(conv, bn, act, x) (or {@link forwardFused} for a Sequential)
 * instead of chaining the three forwards. In eval mode, with running statistics, it runs
 *
 *   tf.fused.conv2d(x, w', b', activation = act ? 'relu' : 'linear')
 *   w' = w · γ/√(var + eps)            (per output channel: the last axis of [kh, kw, Cin, Cout])
 *   b' = (b − mean) · γ/√(var + eps) + β
 *
 * so the backend's fused bias+ReLU epilogue runs (simd: kernels/FusedConv2D.ts). w', b' are
 * computed lazily on the first eval forward and cached per BatchNorm2d; the cache is keyed by the
 * identity of the six source tensors' data (tf.Variable.assign - loadStateDict, optimizers -
 * gives a variable new data), so any weight change refolds on the next eval forward. Training
 * mode (either module), BN without running stats, and {@link withoutFusion} run the plain
 * modules: BN batch statistics, running-stat updates and exact gradients as PyTorch. The
 * parameters themselves are never modified: `stateDict()` always returns the original tensors.
 * Conv2d → ReLU (no BN) uses `tf.fused.conv2d` with the conv's own bias in eval mode.
 *
 * Cached folded tensors stay allocated until the weights change or {@link releaseFolded} is
 * called on a module tree (the zoo models do it in `dispose()`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AnyModule } from './module.js';
import { Conv2d } from './conv.js';
import { BatchNorm2d } from './batchnorm.js';
import { ReLU } from './activation.js';
import type { Sequential } from './container.js';

interface Folded {
  key: unknown[];
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

const FOLDED = new WeakMap<BatchNorm2d, Folded>();
let fusionEnabled = true;

/** Runs `fn` with fusion off: every module's own forward runs (used by `summary`'s hooks). */
export function withoutFusion<T>(fn: () => T): T {
  const prev = fusionEnabled;
  fusionEnabled = false;
  try {
    return fn();
  } finally {
    fusionEnabled = prev;
  }
}

/** Whether eval-mode fusion is currently enabled. */
export function fusionIsEnabled(): boolean {
  return fusionEnabled;
}

type TfPad = 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/** The tfjs padding Conv2d itself uses (symmetric explicit, PyTorch 'same', or 'valid'). */
function convPad(conv: Conv2d): TfPad {
  const p = conv.padding;
  if (p === 'valid') return 'valid';
  let t: number, b: number, l: number, r: number;
  if (p === 'same') {
    const th = conv.dilation[0] * (conv.kernelSize[0] - 1);
    const tw = conv.dilation[1] * (conv.kernelSize[1] - 1);
    t = Math.floor(th / 2);
    b = th - t;
    l = Math.floor(tw / 2);
    r = tw - l;
  } else {
    [t, l] = p;
    [b, r] = p;
  }
  return t === 0 && b === 0 && l === 0 && r === 0 ? 'valid' : [[0, 0], [t, b], [l, r], [0, 0]];
}

function dataKey(...ts: Array<tf.Tensor | null>): unknown[] {
  return ts.map((t) => (t == null ? null : t.dataId));
}

function sameKey(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The folded (w', b') of conv+bn, from the cache or computed now. */
function folded(conv: Conv2d, bn: BatchNorm2d): Folded {
  const key = dataKey(conv.weight, conv.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var);
  const hit = FOLDED.get(bn);
  if (hit && sameKey(hit.key, key)) return hit;
  if (hit) tf.dispose([hit.filter, hit.bias]);
  const { filter, bias } = tf.tidy(() => {
    const inv = tf.rsqrt(tf.add(bn.running_var!, bn.eps));
    const scale = bn.weight ? tf.mul(bn.weight, inv) : inv;
    const filter = tf.mul(conv.weight, scale) as tf.Tensor4D;
    const centered = conv.bias ? tf.sub(conv.bias, bn.running_mean!) : tf.neg(bn.running_mean!);
    let bias = tf.mul(centered, scale);
    if (bn.bias) bias = tf.add(bias, bn.bias);
    return { filter, bias: bias as tf.Tensor1D };
  });
  tf.keep(filter);
  tf.keep(bias);
  const entry = { key, filter, bias };
  FOLDED.set(bn, entry);
  return entry;
}

function checkConvInput(conv: Conv2d, x: tf.Tensor): void {
  if (x.rank !== 4 || x.shape[3] !== conv.inChannels) {
    throw new Error(`Conv2d: expected input [N, H, W, ${conv.inChannels}] (NHWC), got [${x.shape.join(', ')}]`);
  }
}

/**
 * `act(bn(conv(x)))` with `bn` and `act` optional (null); `act` must be a ReLU to be fused.
 * Eval mode (all three modules) with fusion enabled: one `tf.fused.conv2d` (see module doc).
 * Otherwise the modules' own forwards, in order.
 */
export function convBnAct(conv: Conv2d, bn: BatchNorm2d | null, act: AnyModule | null, x: tf.Tensor): tf.Tensor {
  const fusable =
    fusionEnabled && !conv.training && conv.groups === 1 &&
    (bn == null || (!bn.training && bn.running_mean != null && bn.running_var != null)) &&
    (act == null || act instanceof ReLU);
  if (!fusable) {
    let y = conv.forward(x);
    if (bn) y = bn.forward(y);
    return act ? act.forward(y) : y;
  }
  checkConvInput(conv, x);
  let filter: tf.Tensor4D = conv.weight as tf.Tensor4D;
  let bias: tf.Tensor | undefined = conv.bias ?? undefined;
  if (bn) ({ filter, bias } = folded(conv, bn));
  return tf.fused.conv2d({
    x: x as tf.Tensor4D,
    filter,
    strides: conv.stride,
    pad: convPad(conv),
    dataFormat: 'NHWC',
    dilations: conv.dilation,
    bias,
    activation: act ? 'relu' : 'linear',
  });
}

/**
 * Forward of a Sequential whose Conv2d [→ BatchNorm2d] [→ ReLU] runs are fused by
 * {@link convBnAct} (VGG/AlexNet features, ResNet downsample); other children run as they are.
 * Same result as `seq.forward(x)`.
 */
export function forwardFused(seq: Sequential, x: tf.Tensor): tf.Tensor {
  const cs = seq.children();
  let y = x;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i];
    if (c instanceof Conv2d) {
      const bn = cs[i + 1] instanceof BatchNorm2d ? (cs[i + 1] as BatchNorm2d) : null;
      const j = bn ? i + 2 : i + 1;
      const act = cs[j] instanceof ReLU ? cs[j] : null;
      y = convBnAct(c, bn, act, y);
      i = act ? j : j - 1;
    } else {
      y = c.forward(y);
    }
  }
  return y;
}

/** Disposes the folded tensors cached for every BatchNorm2d in `root`'s tree. */
export function releaseFolded(root: AnyModule): void {
  for (const m of root.modules()) {
    if (m instanceof BatchNorm2d) {
      const e = FOLDED.get(m);
      if (e) {
        tf.dispose([e.filter, e.bias]);
        FOLDED.delete(m);
      }
    }
  }
}
