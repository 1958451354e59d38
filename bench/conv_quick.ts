// Micro-benchmark of the GEMM/conv kernels: simd vs tfjs cpu vs tfjs wasm (XNNPACK).
//   node --import ./scripts/node-env.mjs bench/conv_quick.ts [--no-cpu] [--matmul] [--runs N]
// Each case: warm-up, then the median of N timed runs (default 15; cpu 1-3) of op + dataSync,
// as wall-clock time and as this process's CPU time (process.cpuUsage: steadier on a shared
// machine, where wall time includes waiting for a core; tfjs-wasm runs single-threaded in Node).
// GFLOP/s = 2·N·Ho·Wo·Cout·kh·kw·Cin / time (conv), 2·M·K·N / time (matmul), from the wall time.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The ES-module bundle of tfjs-backend-wasm shares this tfjs-core instance (its dist/index.js
// imports a worker file that Node cannot load as ESM).
// @ts-ignore: the bundle has no .d.ts of its own; its API is the package's (typed below).
import { setWasmPaths as setWasmPathsUntyped } from '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import '../src/index';
import { wasmVariant } from '../src/backend/index';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 15;
const withCpu = !args.includes('--no-cpu');
const withMatmul = args.includes('--matmul');

const setWasmPaths = setWasmPathsUntyped as typeof import('@tensorflow/tfjs-backend-wasm').setWasmPaths;
// Emscripten's Node path needs __dirname to find the .wasm files next to its loader.
const wasmDist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
setWasmPaths(wasmDist);
(globalThis as Record<string, unknown>).__dirname ??= wasmDist;

function rand(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  }
  return out;
}

interface Case {
  name: string;
  flop: number;
  inputs: { shape: number[]; values: Float32Array }[];
  fn: (...xs: tf.Tensor[]) => tf.Tensor;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall and CPU milliseconds of `n` runs after warm-up, or null if the backend is missing. */
async function time(backend: string, c: Case, n: number): Promise<{ wall: number; cpu: number } | null> {
  if (!(await tf.setBackend(backend).catch(() => false))) return null;
  const xs = c.inputs.map(i => tf.tensor(i.values, i.shape));
  const walls: number[] = [], cpus: number[] = [];
  const once = () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const y = c.fn(...xs);
    y.dataSync();
    walls.push(performance.now() - t0);
    const dc = process.cpuUsage(c0);
    cpus.push((dc.user + dc.system) / 1000);
    y.dispose();
  };
  for (let i = 0; i < Math.min(3, n); i++) once();
  walls.length = cpus.length = 0;
  for (let i = 0; i < n; i++) once();
  tf.dispose(xs);
  return { wall: median(walls), cpu: median(cpus) };
}

const cases: Case[] = [];
const conv = (x: number[], f: number[], stride: number, pad: 'same' | 'valid') => {
  const info = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], f as [number, number, number, number], stride, 1, pad);
  cases.push({
    name: `conv2d ${f[0]}x${f[1]} ${pad} s${stride} [${x}]→${f[3]}`,
    flop: 2 * info.batchSize * info.outHeight * info.outWidth * f[3] * f[0] * f[1] * f[2],
    inputs: [{ shape: x, values: rand(x.reduce((a, b) => a * b), 1) }, { shape: f, values: rand(f.reduce((a, b) => a * b), 2) }],
    fn: (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad),
  });
};
conv([1, 56, 56, 64], [3, 3, 64, 64], 1, 'same');
conv([1, 56, 56, 64], [1, 1, 64, 256], 1, 'same');
conv([1, 224, 224, 3], [7, 7, 3, 64], 2, 'same');
conv([1, 14, 14, 256], [3, 3, 256, 256], 1, 'same');
const matmul = (m: number, k: number, n: number) => cases.push({
  name: `matmul [${m},${k}]x[${k},${n}]`,
  flop: 2 * m * k * n,
  inputs: [{ shape: [m, k], values: rand(m * k, 3) }, { shape: [k, n], values: rand(k * n, 4) }],
  fn: (a, b) => tf.matMul(a, b),
});
matmul(256, 256, 256);
if (withMatmul) matmul(1, 25088, 4096);

await tf.setBackend('simd');
console.log(`simd module variant: ${wasmVariant} (relaxed needs --experimental-wasm-relaxed-simd in Node 20); ` +
    `median of ${runs} runs (cpu: 1-3); wall ms (cpu-time ms) GFLOP/s`);
for (const c of cases) {
  const row: string[] = [];
  for (const be of ['simd', 'wasm', ...(withCpu ? ['cpu'] : [])]) {
    const big = c.flop > 5e8;
    const t = await time(be, c, be === 'cpu' ? (big ? 1 : 3) : runs);
    row.push(t === null ? `${be}: n/a`
      : `${be} ${t.wall.toFixed(2)} ms (cpu ${t.cpu.toFixed(2)}) ${(c.flop / t.wall / 1e6).toFixed(1)} GFLOP/s`);
  }
  console.log(`${c.name.padEnd(42)} ${row.join(' | ')}`);
}
