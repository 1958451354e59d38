/**
 * The benchmark cases of `npm run bench` (bench/run.ts): one row per case.
 *
 * A case is: a `name` (what `--filter` matches), a `setup` that creates the inputs on the active
 * backend (called once per backend, outside the timed region), the timed `op` (the tfjs op call
 * that dispatches the kernel, or a model forward), and its FLOP count (2 · multiply-adds; absent
 * where it means nothing: pooling, resize). All inputs are deterministic pseudo-random floats in
 * [-0.5, 0.5) (images in [0, 1)), generated once in JS and shared by the backends.
 *
 * `cpuSlow`: tfjs `cpu` needs a second or more per call; `--no-cpu` skips cpu for these.
 */
import * as tf from '@tensorflow/tfjs-core';

// The model zoo is imported dynamically: while it is being written, a model that is missing (or
// a zoo that fails to load) skips the model cases with a note instead of stopping the benchmark.
let models: Record<string, unknown> = {};
let modelsError: string | null = null;
try {
  models = (await import('../src/models/index')) as Record<string, unknown>;
} catch (e) {
  modelsError = (e as Error).message.split('\n')[0];
}

/** What a case hands from `setup` to `op` and `dispose`. */
export interface Prepared {
  /** The timed call; its result is disposed by the harness (inside the timed region). */
  run(): tf.Tensor;
  /** Frees what `setup` made (inputs, model weights). */
  dispose(): void;
}

export interface BenchCase {
  name: string;
  /** 'kernel' (one tfjs op) or 'model' (a forward pass). */
  kind: 'kernel' | 'model';
  /** FLOPs of one call (2 · multiply-adds), when defined. Models: counted by run.ts (profile). */
  flops?: number;
  /** tfjs cpu takes ≳1 s per call: skipped by `--no-cpu`. */
  cpuSlow?: boolean;
  /** Also run on 'simd-plain' (the plain-SIMD build) to compare with relaxed SIMD (run.ts). */
  relaxedCompare?: boolean;
  /** A footnote printed under the table (run.ts marks the case with `[n]`). */
  note?: string;
  /**
   * Creates the inputs on the active backend and returns the timed call, or a string saying why
   * the case cannot run (a model that src/models does not export yet).
   */
  setup(): Prepared | string;
}

// ---- inputs ------------------------------------------------------------------------------------

/** Deterministic floats in [lo, lo + 1) (mulberry32), cached per (size, seed) for all backends. */
const valueCache = new Map<string, Float32Array>();
function values(size: number, seed: number, lo = -0.5): Float32Array {
  const key = `${size}/${seed}/${lo}`;
  let v = valueCache.get(key);
  if (v === undefined) {
    v = new Float32Array(size);
    let a = seed >>> 0;
    for (let i = 0; i < size; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      v[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 + lo;
    }
    valueCache.set(key, v);
  }
  return v;
}

/** Drops the cached input values (run.ts calls it after each case: the matMul B is 411 MB). */
export function clearInputCache(): void {
  valueCache.clear();
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(values(sizeOf(shape), seed), shape);
}

/** A kernel case: `inputs` builds the tensors, `op` calls the tfjs op on them. */
function kernel(name: string, flops: number | undefined, inputs: () => tf.Tensor[],
    op: (...xs: tf.Tensor[]) => tf.Tensor, cpuSlow = false): BenchCase {
  return {
    name, kind: 'kernel', flops, cpuSlow,
    setup() {
      const xs = inputs();
      return { run: () => op(...xs), dispose: () => tf.dispose(xs) };
    },
  };
}

type Pad = 'same' | 'valid' | number[][];

function convInfo(x: number[], f: number[], stride: number, pad: Pad, dilation: number) {
  return tf.backend_util.computeConv2DInfo(x as [number, number, number, number],
      f as [number, number, number, number], stride, dilation,
      pad as 'same' | 'valid' | tf.backend_util.ExplicitPadding);
}

/**
 * FLOPs of a conv2d, the usual nominal count: 2 · N·Ho·Wo·Cout · kh·kw·Cin, taps that fall into
 * the zero padding included (as torchvision/ptflops count, and as XNNPACK computes).
 */
function convFlops(x: number[], f: number[], stride: number, pad: Pad, dilation = 1): number {
  const info = convInfo(x, f, stride, pad, dilation);
  return 2 * info.batchSize * info.outHeight * info.outWidth * info.outChannels * f[0] * f[1] * f[2];
}

/** The fraction of a conv's kh·kw taps (over all outputs) that land inside the input. */
function tapsInside(x: number[], f: number[], stride: number, pad: Pad, dilation = 1): number {
  const info = convInfo(x, f, stride, pad, dilation);
  const inside = (outSize: number, inSize: number, k: number, before: number) => {
    let n = 0;
    for (let o = 0; o < outSize; o++) {
      for (let t = 0; t < k; t++) {
        const i = o * stride - before + t * dilation;
        if (i >= 0 && i < inSize) n++;
      }
    }
    return n / (outSize * k);
  };
  return inside(info.outHeight, info.inHeight, f[0], info.padInfo.top) *
      inside(info.outWidth, info.inWidth, f[1], info.padInfo.left);
}

/** `tf.conv2d(x, w, stride, pad, 'NHWC', dilation)` with x [1,h,w,cin], w [k,k,cin,cout]. */
function conv(name: string, x: number[], k: number, cout: number, stride: number, pad: Pad,
    dilation = 1): BenchCase {
  const f = [k, k, x[3], cout];
  const flops = convFlops(x, f, stride, pad, dilation);
  const c = kernel(name, flops, () => [rand(x, 1), rand(f, 2)],
      (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride,
          pad as 'same' | 'valid' | tf.backend_util.ExplicitPadding, 'NHWC', dilation),
      flops > 1e9);
  const inside = tapsInside(x, f, stride, pad, dilation);
  if (inside < 0.9) {
    const pct = (100 * inside).toFixed(0);
    c.note = `FLOPs are nominal, but only ${pct}% of the ${k}x${k} taps land inside the input (the rest in ` +
        `the zero padding); a kernel that skips those does ${pct}% of the counted work, and can show > 100% of peak`;
  }
  return c;
}

// ---- models ------------------------------------------------------------------------------------

interface ZooModel {
  eval(): ZooModel;
  forward(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}
type Factory = (opts?: { seed?: number }) => ZooModel;

/**
 * A model case: `models[factory]({seed})` in eval mode, random (default-init) weights, one
 * forward of a `input`-shaped batch inside tf.tidy. Its FLOPs are counted by run.ts.
 */
function model(name: string, factory: string, input: number[], cpuSlow: boolean): BenchCase {
  return {
    name, kind: 'model', cpuSlow,
    setup() {
      if (modelsError !== null) return `src/models/index.ts failed to load: ${modelsError}`;
      const make = models[factory] as Factory | undefined;
      if (typeof make !== 'function') return `src/models/index.ts does not export ${factory}() (yet)`;
      const net = make({ seed: 1 }).eval();
      const x = tf.tensor(values(sizeOf(input), 3, 0), input);
      return {
        run: () => tf.tidy(() => net.forward(x)),
        dispose: () => { net.dispose(); x.dispose(); },
      };
    },
  };
}

/**
 * Faster R-CNN R50-FPN (src/models/faster_rcnn.ts) on one size×size image in [0, 1): torchvision's
 * initialization (seed 1), min/max size = the input size (no resize), eval mode. The model returns
 * detections as typed arrays, so the timed call returns their count as a scalar tensor. Everything
 * after the heads (proposal filtering, NMS, postprocess) runs in JS on every backend.
 */
function fasterRcnn(name: string, size: number): BenchCase {
  return {
    name, kind: 'model', cpuSlow: true,
    note: 'Faster R-CNN: torchvision init (seed 1), no resize; the box head runs on the RPN\'s proposals (1000 at most)',
    setup() {
      if (modelsError !== null) return `src/models/index.ts failed to load: ${modelsError}`;
      type Det = { eval(): Det; forward(x: tf.Tensor[]): { scores: Float32Array }[]; dispose(): void };
      const make = models.fasterrcnn_resnet50_fpn as ((o: object) => Det) | undefined;
      if (typeof make !== 'function') return 'src/models/index.ts does not export fasterrcnn_resnet50_fpn() (yet)';
      const net = make({ seed: 1, initWeights: true, minSize: size, maxSize: size }).eval();
      const x = tf.tensor(values(size * size * 3, 3, 0), [size, size, 3]);
      return {
        run: () => tf.tidy(() => tf.scalar(net.forward([x])[0].scores.length)),
        dispose: () => { net.dispose(); x.dispose(); },
      };
    },
  };
}

// ---- the table ---------------------------------------------------------------------------------

const atrous = (rate: number, hw: number) =>
    conv(`conv3x3 atrous r${rate} ${hw}x${hw}x256→256`, [1, hw, hw, 256], 3, 256, 1, 'same', rate);

export const CASES: BenchCase[] = [
  // ResNet 3×3 convolutions, one per stage (equal FLOPs: 231 M each)
  conv('conv3x3 56x56x64→64', [1, 56, 56, 64], 3, 64, 1, 'same'),
  conv('conv3x3 28x28x128→128', [1, 28, 28, 128], 3, 128, 1, 'same'),
  conv('conv3x3 14x14x256→256', [1, 14, 14, 256], 3, 256, 1, 'same'),
  conv('conv3x3 7x7x512→512', [1, 7, 7, 512], 3, 512, 1, 'same'),
  // ResNet/GoogLeNet stem: 7×7 stride 2, explicit padding 3 (PyTorch's padding=3)
  conv('conv7x7/2 stem 224x224x3→64', [1, 224, 224, 3], 7, 64, 2, [[0, 0], [3, 3], [3, 3], [0, 0]]),
  // bottleneck 1×1s
  conv('conv1x1 56x56x64→256', [1, 56, 56, 64], 1, 256, 1, 'same'),
  conv('conv1x1 28x28x512→128', [1, 28, 28, 512], 1, 128, 1, 'same'),
  // DeepLabv3 ASPP branches (output stride 16 on 513 px: 33×33) and a rate-2 layer at 65×65
  atrous(6, 33),
  atrous(12, 33),
  atrous(18, 33),
  atrous(2, 65),
  // FCN / U-Net upsampling: conv2dTranspose 2×2 stride 2, 256 → 128 channels
  kernel('conv2dTranspose 2x2/2 28x28x256→128', 2 * 28 * 28 * 256 * 128 * 2 * 2,
      () => [rand([1, 28, 28, 256], 1), rand([2, 2, 128, 256], 2)],
      (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [1, 56, 56, 128], 2, 'same')),
  // pooling and resize (no FLOPs defined)
  kernel('maxPool 3x3/2 112x112x64', undefined, () => [rand([1, 112, 112, 64], 1)],
      x => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same')),
  kernel('avgPool 3x3/1 same 28x28x192', undefined, () => [rand([1, 28, 28, 192], 1)],
      x => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same')),
  kernel('resizeBilinear 33→129 x256 (half-pixel)', undefined, () => [rand([1, 33, 33, 256], 1)],
      x => tf.image.resizeBilinear(x as tf.Tensor4D, [129, 129], false, true)),
  kernel('resizeBilinear 65→513 x21 (half-pixel)', undefined, () => [rand([1, 65, 65, 21], 1)],
      x => tf.image.resizeBilinear(x as tf.Tensor4D, [513, 513], false, true)),
  // VGG-16 fc6: a matrix-vector product over 411 MB of weights (memory-bound)
  kernel('matMul [1,25088]x[25088,4096]', 2 * 25088 * 4096,
      () => [rand([1, 25088], 1), rand([25088, 4096], 2)],
      (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)),
  // conv + bias + ReLU in one FusedConv2D kernel (FLOPs: the convolution's)
  kernel('fused conv3x3+bias+relu 56x56x64→64', convFlops([1, 56, 56, 64], [3, 3, 64, 64], 1, 'same'),
      () => [rand([1, 56, 56, 64], 1), rand([3, 3, 64, 64], 2), rand([64], 3)],
      (x, f, b) => tf.fused.conv2d({
        x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu',
      })),
  // models (random weights, eval mode, batch as given)
  model('LeNet-5 batch 64 (28x28x1)', 'lenet5', [64, 28, 28, 1], false),
  model('ResNet-18 224x224 batch 1', 'resnet18', [1, 224, 224, 3], true),
  model('ResNet-50 224x224 batch 1', 'resnet50', [1, 224, 224, 3], true),
  model('VGG-16 224x224 batch 1', 'vgg16', [1, 224, 224, 3], true),
  fasterRcnn('Faster R-CNN R50-FPN 512x512', 512),
  // segmentation models (forward returns the logits at the input size: torchvision's result['out'])
  model('U-Net (base 64, depth 4) 256x256 batch 1', 'unet', [1, 256, 256, 3], true),
  model('PSPNet-ResNet50 257x257 batch 1', 'pspnet_resnet50', [1, 257, 257, 3], true),
  model('DeepLabv3-ResNet50 513x513 batch 1', 'deeplabv3_resnet50', [1, 513, 513, 3], true),
];

// The relaxed-vs-plain SIMD comparison (run.ts adds a 'simd-plain' row): the 3×3 convolutions.
for (const c of CASES) {
  if (/^(fused )?conv3x3/.test(c.name) && !c.name.includes('atrous')) c.relaxedCompare = true;
}

// ---- FLOP counting for models ------------------------------------------------------------------

/** Multiply-adds of one kernel invocation from its input/output shapes (0 for non-MAC kernels). */
export function kernelMacs(name: string, inputShapes: number[][], outputShapes: number[][]): number {
  const out = outputShapes[0];
  if (out === undefined) return 0;
  switch (name) {
    case 'Conv2D': case 'FusedConv2D': {            // filter [kh, kw, cin, cout]
      const f = inputShapes[1];
      return sizeOf(out) * f[0] * f[1] * f[2];
    }
    case 'DepthwiseConv2dNative': case 'FusedDepthwiseConv2D': {  // filter [kh, kw, cin, mult]
      const f = inputShapes[1];
      return sizeOf(out) * f[0] * f[1];
    }
    case 'Conv2DBackpropInput': {                    // inputs [dy, filter]; filter [kh, kw, cout, cin]
      const [dy, f] = inputShapes;
      return sizeOf(dy) * f[0] * f[1] * f[2];
    }
    case 'BatchMatMul': case '_FusedMatMul': {       // a [..., M, K] or [..., K, M]; out [..., M, N]
      const a = inputShapes[0];
      const m = out[out.length - 2];
      const batchA = sizeOf(a.slice(0, -2));
      return sizeOf(out) * (sizeOf(a) / (batchA * m));
    }
    default:
      return 0;
  }
}

/** FLOPs (2 · MACs of convolutions and matrix products) of `run()`, from one profiled call. */
export async function countFlops(run: () => tf.Tensor): Promise<number> {
  const info = await tf.profile(() => run());
  tf.dispose(info.result as tf.Tensor);
  let macs = 0;
  for (const k of info.kernels) macs += kernelMacs(k.name, k.inputShapes, k.outputShapes);
  return 2 * macs;
}

// ---- detection (appended) ------------------------------------------------------------------------
// RoIAlign and NMS, ours against what a tfjs user would write. The op differs per backend (setup
// runs with the backend active): see each case's note.

const detection = await import('../src/detection/index');

/** 1000 RoIs (x1, y1, x2, y2) random in an 800×800 image, 8–408 px a side; and their cropAndResize form. */
function roiInputs(): { boxes: Float32Array; crop: Float32Array } {
  const r = values(1000 * 4, 21, 0);
  const boxes = new Float32Array(1000 * 4);
  const crop = new Float32Array(1000 * 4);
  const s = 1 / 16, n = 50;  // feature stride 16 → a 50×50 map
  for (let i = 0; i < 1000; i++) {
    const x1 = r[i * 4] * 600, y1 = r[i * 4 + 1] * 600;
    const x2 = x1 + 8 + r[i * 4 + 2] * 400, y2 = y1 + 8 + r[i * 4 + 3] * 400;
    boxes.set([x1, y1, x2, y2], i * 4);
    // roi_align(aligned=True, sampling_ratio=2) samples the feature rows x1·s − 0.5 + (q + 0.5)·h/14,
    // q = 0..13; cropAndResize with 14 rows samples y1n·(H−1) + q·(y2n − y1n)·(H−1)/13: match them.
    const fy1 = y1 * s - 0.5, fh = (y2 - y1) * s, fx1 = x1 * s - 0.5, fw = (x2 - x1) * s;
    crop.set([(fy1 + 0.5 * fh / 14) / (n - 1), (fx1 + 0.5 * fw / 14) / (n - 1),
      (fy1 + 13.5 * fh / 14) / (n - 1), (fx1 + 13.5 * fw / 14) / (n - 1)], i * 4);
  }
  return { boxes, crop };
}

/** cropAndResize to 14×14 then 2×2 average pooling: RoIAlign as tfjs users write it. */
function cropAndResizeRoiAlign(x: tf.Tensor4D, crop: tf.Tensor2D, idx: tf.Tensor1D): tf.Tensor {
  return tf.tidy(() => tf.avgPool(tf.image.cropAndResize(x, crop, idx, [14, 14], 'bilinear'), 2, 2, 'valid'));
}

/** 5000 boxes random in a 1120×920 image, 4–124 px a side; scores in [0, 1). */
function nmsInputs(): { boxes: Float32Array; yx: Float32Array; scores: Float32Array } {
  const r = values(5000 * 4, 31, 0);
  const boxes = new Float32Array(5000 * 4), yx = new Float32Array(5000 * 4);
  for (let i = 0; i < 5000; i++) {
    const x1 = r[i * 4] * 1000, y1 = r[i * 4 + 1] * 800;
    const x2 = x1 + 4 + r[i * 4 + 2] * 120, y2 = y1 + 4 + r[i * 4 + 3] * 120;
    boxes.set([x1, y1, x2, y2], i * 4);
    yx.set([y1, x1, y2, x2], i * 4);
  }
  return { boxes, yx, scores: values(5000, 32, 0) };
}

CASES.push(
  {
    name: 'roiAlign 1000 RoIs 7x7 x256', kind: 'kernel',
    note: 'simd: ops.roiAlign (native kernel; torchvision roi_align, aligned=True, sampling_ratio=2) on a ' +
        '[1,50,50,256] map, boxes in 800×800 image pixels; wasm/cpu: what tfjs offers for it, ' +
        'tf.image.cropAndResize of the same 1000 boxes to 14×14 (the same 2×2 sample points per bin) ' +
        'then avgPool 2×2 — different ops, same output [1000,7,7,256] (equal to 2e-6 for boxes inside the ' +
        'map; they differ only in how samples beyond the border are treated)',
    setup() {
      const x = rand([1, 50, 50, 256], 1) as tf.Tensor4D;
      const { boxes, crop } = roiInputs();
      if (tf.getBackend() === 'simd') {
        const idx = new Int32Array(1000);
        const opts = { outputSize: 7, spatialScale: 1 / 16, samplingRatio: 2, aligned: true, boxIndices: idx };
        return { run: () => detection.roiAlign(x, boxes, opts), dispose: () => x.dispose() };
      }
      const c = tf.tensor2d(crop, [1000, 4]);
      const i = tf.zeros([1000], 'int32') as tf.Tensor1D;
      return { run: () => cropAndResizeRoiAlign(x, c, i), dispose: () => tf.dispose([x, c, i]) };
    },
  },
  {
    name: 'cropAndResize+avgPool 1000 RoIs x256', kind: 'kernel',
    note: 'the cropAndResize form of RoIAlign on every backend (simd has no native CropAndResize: it ' +
        'delegates to the tfjs cpu kernel)',
    setup() {
      const x = rand([1, 50, 50, 256], 1) as tf.Tensor4D;
      const c = tf.tensor2d(roiInputs().crop, [1000, 4]);
      const i = tf.zeros([1000], 'int32') as tf.Tensor1D;
      return { run: () => cropAndResizeRoiAlign(x, c, i), dispose: () => tf.dispose([x, c, i]) };
    },
  },
  {
    name: 'NMS 5000 boxes IoU 0.5', kind: 'kernel',
    note: 'simd: detection.nms (JS over typed arrays, torchvision semantics, grid-accelerated; the kept ' +
        'indices are wrapped in an int32 tensor); wasm/cpu: tf.image.nonMaxSuppression(boxes, scores, ' +
        '5000, 0.5) on tensors. Same boxes; both return the kept indices (identical lists: 3,613 of 5,000 ' +
        'on a random set, checked once by hand)',
    setup() {
      const { boxes, yx, scores } = nmsInputs();
      if (tf.getBackend() === 'simd') {
        return { run: () => tf.tensor1d(detection.nms(boxes, scores, 0.5), 'int32'), dispose: () => {} };
      }
      const b = tf.tensor2d(yx, [5000, 4]), s = tf.tensor1d(scores);
      return { run: () => tf.image.nonMaxSuppression(b, s, 5000, 0.5), dispose: () => tf.dispose([b, s]) };
    },
  },
);
