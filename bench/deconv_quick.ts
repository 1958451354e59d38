/**
 * Quick benchmark of the convolution-gradient kernels on `simd` against tfjs `cpu` and tfjs `wasm`
 * (XNNPACK build; its Conv2DBackpropInput is a scalar loop, and it has no Conv2DBackpropFilter).
 *
 *   node --import ./scripts/node-env.mjs bench/deconv_quick.ts [runs]
 *
 * Each case: one warm-up call (V8 tiers wasm up on first use), then the median and minimum wall
 * time of `runs` (default 10) calls, each including the output's dataSync. Printed in ms, with
 * GFLOP/s (2 flops per multiply-add) and the speed-up of simd's median over the others'.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The flat ES-module build: the package's module entry imports a CommonJS worker file that
// Node's ESM loader (scripts/tfjs-esm-hooks.mjs) cannot link; this one bundles it.
// @ts-ignore: the flat bundle has no .d.ts of its own; its exports are the package index's
import * as tfWasm from '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.js';
import { wasmVariant } from '../src/index';
import { fileURLToPath } from 'node:url';

// Emscripten's Node path reads `__dirname`, which ES modules lack; point it (and the .wasm
// lookup) at the package's dist folder.
const wasmDir = fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));
(globalThis as { __dirname?: string }).__dirname ??= wasmDir;
(tfWasm as typeof import('@tensorflow/tfjs-backend-wasm')).setWasmPaths(wasmDir);

const RUNS = Math.max(1, Number(process.argv[2] ?? 10));

interface Case {
  name: string;
  /** multiply-adds of one call */
  macs: number;
  backends: string[];
  /** builds the inputs once per backend and returns the timed call */
  setup: () => { call: () => tf.Tensor; inputs: tf.Tensor[] };
}

/** Conv2DBackpropFilter with stride 1 (tfjs-core does not export its op). */
function backpropFilter(x: tf.Tensor, dy: tf.Tensor, filterShape: number[], pad: 'same' | 'valid'): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
      { strides: 1, pad, dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** A tensor of deterministic pseudo-random floats in [-1, 1) (mulberry32). */
function rand(shape: number[], seed: number): tf.Tensor {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < v.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    v[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
  }
  return tf.tensor(v, shape);
}

const cases: Case[] = [
  {
    // U-Net / FCN style 2×2 stride-2 upsampling: [1,28,28,256] → [1,56,56,128]
    name: 'conv2dTranspose 2x2 s2 [1,28,28,256]->[1,56,56,128]',
    macs: 56 * 56 * 128 * 256,
    backends: ['simd', 'wasm', 'cpu'],
    setup: () => {
      const x = rand([1, 28, 28, 256], 1), w = rand([2, 2, 128, 256], 2);
      return { inputs: [x, w], call: () => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [1, 56, 56, 128], 2, 'same') };
    },
  },
  {
    // 3×3 stride-2 transposed conv (overlapping taps): [1,28,28,128] → [1,56,56,64]
    name: 'conv2dTranspose 3x3 s2 [1,28,28,128]->[1,56,56,64]',
    macs: 28 * 28 * 9 * 128 * 64,
    backends: ['simd', 'wasm', 'cpu'],
    setup: () => {
      const x = rand([1, 28, 28, 128], 3), w = rand([3, 3, 64, 128], 4);
      return { inputs: [x, w], call: () => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [1, 56, 56, 64], 2, 'same') };
    },
  },
  {
    // LeNet-5 conv2 filter gradient, batch 64: x [64,14,14,6], dy [64,10,10,16], 5×5 valid
    name: 'Conv2DBackpropFilter LeNet conv2 b64',
    macs: 64 * 10 * 10 * 25 * 6 * 16,
    backends: ['simd', 'cpu'],
    setup: () => {
      const x = rand([64, 14, 14, 6], 5), dy = rand([64, 10, 10, 16], 6);
      return { inputs: [x, dy], call: () => backpropFilter(x, dy, [5, 5, 6, 16], 'valid') };
    },
  },
  {
    // ResNet stage-1 3×3 conv filter gradient, batch 4: x [4,56,56,64], dy [4,56,56,64]
    name: 'Conv2DBackpropFilter ResNet 3x3x64 56x56 b4',
    macs: 4 * 56 * 56 * 9 * 64 * 64,
    backends: ['simd'],
    setup: () => {
      const x = rand([4, 56, 56, 64], 7), dy = rand([4, 56, 56, 64], 8);
      return { inputs: [x, dy], call: () => backpropFilter(x, dy, [3, 3, 64, 64], 'same') };
    },
  },
  {
    // ResNet stage-1 3×3 conv input gradient, batch 4
    name: 'Conv2DBackpropInput ResNet 3x3x64 56x56 b4',
    macs: 4 * 56 * 56 * 9 * 64 * 64,
    backends: ['simd', 'wasm'],
    setup: () => {
      const dy = rand([4, 56, 56, 64], 9), w = rand([3, 3, 64, 64], 10);
      return { inputs: [dy, w], call: () => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [4, 56, 56, 64], 1, 'same') };
    },
  },
];

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median and minimum wall time (ms) of `RUNS` calls after one warm-up call. */
async function time(backend: string, c: Case): Promise<{ median: number; min: number }> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialize`);
  const { call, inputs } = c.setup();
  const once = () => { const y = call(); y.dataSync(); y.dispose(); };
  once();  // warm-up (tier-up, packed-weight cache)
  const ts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    once();
    ts.push(performance.now() - t0);
  }
  tf.dispose(inputs);
  return { median: median(ts), min: Math.min(...ts) };
}

await tf.setBackend('simd');
console.log(`simd kernel module: ${wasmVariant}; median (min) of ${RUNS} runs after one warm-up, ms; GFLOP/s of the median`);
for (const c of cases) {
  const res: Record<string, { median: number; min: number }> = {};
  for (const b of c.backends) res[b] = await time(b, c);
  const cols = c.backends.map(b =>
    `${b} ${res[b].median.toFixed(2)} (${res[b].min.toFixed(2)}) ms ${(2 * c.macs / res[b].median / 1e6).toFixed(1)} GFLOP/s`);
  const speedups = c.backends.filter(b => b !== 'simd').map(b => `${(res[b].median / res.simd.median).toFixed(1)}× vs ${b}`);
  console.log(`${c.name}\n  ${cols.join(' | ')}${speedups.length ? `\n  simd: ${speedups.join(', ')} (medians)` : ''}`);
}
