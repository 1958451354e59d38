/**
 * Quick benchmark of the pooling kernels on `simd` against tfjs `cpu` and tfjs `wasm` (XNNPACK,
 * single-threaded in Node). Main case: ResNet-stem maxPool 3×3 stride 2 'same' on
 * [1,112,112,64]; also avgPool and both gradients on the same shape.
 *
 *   node --import ./scripts/node-env.mjs bench/pool_quick.ts [runs]
 *
 * Each case and backend: 5 warm-up calls (V8 tiers wasm up on first use), then `runs` (default
 * 50; cpu: a fifth of that) timed op calls; printed: median and, in brackets, minimum wall time
 * (the minimum is the steadier figure on a loaded machine). All three backends run kernels
 * synchronously inside the op call, so the time is the kernel's plus tfjs dispatch, without the
 * readback copy.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The flat ES-module build of tfjs-backend-wasm: its module entry imports a CommonJS worker
// file that Node's ESM loader (scripts/tfjs-esm-hooks.mjs) cannot link.
import type * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { fileURLToPath } from 'node:url';
import '../src/index';

const { setWasmPaths } = (await import('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.js' as string)) as typeof tfWasm;

// Emscripten's Node path reads `__dirname`, which ES modules lack; point it (and the .wasm
// lookup) at the package's dist folder.
const wasmDir = fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));
(globalThis as { __dirname?: string }).__dirname ??= wasmDir;
setWasmPaths(wasmDir);

const RUNS = Math.max(1, Number(process.argv[2] ?? 50));
const WARMUP = 5;
const SHAPE: [number, number, number, number] = [1, 112, 112, 64];

interface Case {
  name: string;
  /** the timed call, given the input x and an upstream gradient dy of the pooled shape */
  call: (x: tf.Tensor4D, dy: tf.Tensor4D) => tf.Tensor;
}

const cases: Case[] = [
  { name: 'maxPool 3x3 s2 same', call: x => tf.maxPool(x, 3, 2, 'same') },
  { name: 'avgPool 3x3 s2 same', call: x => tf.avgPool(x, 3, 2, 'same') },
  { name: 'maxPoolGrad 3x3 s2 same', call: (x, dy) => tf.tidy(() => tf.grad(t => tf.maxPool(t as tf.Tensor4D, 3, 2, 'same'))(x, dy)) },
  { name: 'avgPoolGrad 3x3 s2 same', call: (x, dy) => tf.tidy(() => tf.grad(t => tf.avgPool(t as tf.Tensor4D, 3, 2, 'same'))(x, dy)) },
];

/** Deterministic floats in [-1, 1) (an LCG; tfjs' seeded randomUniform needs seedrandom's CJS build). */
function randomTensor(shape: number[], seed: number): tf.Tensor4D {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 31 - 1;
  }
  return tf.tensor4d(v, shape as [number, number, number, number]);
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** [median, min] ms of `call` on `backend`, or null when the backend cannot run it. */
async function time(backend: string, c: Case): Promise<[number, number] | null> {
  if (!(await tf.setBackend(backend))) return null;
  const x = randomTensor(SHAPE, 1);
  const dy = randomTensor([1, 56, 56, 64], 2);
  try {
    for (let i = 0; i < WARMUP; i++) c.call(x, dy).dispose();
    const ms: number[] = [];
    const runs = backend === 'cpu' ? Math.max(1, Math.ceil(RUNS / 5)) : RUNS;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const y = c.call(x, dy);
      ms.push(performance.now() - t0);
      y.dispose();
    }
    return [median(ms), Math.min(...ms)];
  } catch (e) {
    console.log(`  ${backend}: ${(e as Error).message.split('\n')[0]}`);
    return null;
  } finally {
    tf.dispose([x, dy]);
  }
}

const fmt = (v: [number, number] | null) =>
  (v === null ? 'n/a'.padStart(17) : `${v[0].toFixed(3).padStart(8)} (${v[1].toFixed(3).padStart(7)})`);
console.log(`pooling on [${SHAPE}], ${RUNS} runs after ${WARMUP} warm-ups: median (min) ms`);
console.log(`${'case'.padEnd(24)}${'simd'.padStart(17)} ${'wasm'.padStart(17)} ${'cpu'.padStart(17)}  wasm/simd  cpu/simd (medians)`);
for (const c of cases) {
  const simd = await time('simd', c);
  const wasm = await time('wasm', c);
  const cpu = await time('cpu', c);
  const ratio = (o: [number, number] | null) => (o === null || simd === null ? 'n/a'.padStart(8) : `${(o[0] / simd[0]).toFixed(1).padStart(7)}x`);
  console.log(`${c.name.padEnd(24)}${fmt(simd)} ${fmt(wasm)} ${fmt(cpu)}   ${ratio(wasm)}  ${ratio(cpu)}`);
}
