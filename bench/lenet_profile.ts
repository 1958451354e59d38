// Per-kernel profile of LeNet-5 (batch from argv, default 64) on simd vs tfjs wasm: the forward's
// median wall time, and the median kernelTimeMs of each kernel call from tf.profile (10 profiled
// forwards per backend, alternating). A development tool, not part of `npm run bench`:
//   node --import ./scripts/node-env.mjs bench/lenet_profile.ts [batch]
import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--experimental-wasm-relaxed-simd');
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { lenet5 } from '../src/models/index';

const wasmDir = fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));
(globalThis as { __dirname?: string }).__dirname ??= wasmDir;
const m = await import('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.js' as string);
m.setWasmPaths(wasmDir);
tf.enableProdMode();
const batch = Number(process.argv[2] ?? 64);
const backends = ['simd', 'wasm'];
const nets: Record<string, any> = {}; const xs: Record<string, tf.Tensor> = {};
for (const b of backends) { await tf.setBackend(b); nets[b] = lenet5({ seed: 1 }).eval(); xs[b] = tf.randomUniform([batch, 28, 28, 1]); }
const acc: Record<string, Map<string, number[]>> = { simd: new Map(), wasm: new Map() };
const tot: Record<string, number[]> = { simd: [], wasm: [] };
for (let r = 0; r < 40; r++) {
  for (const b of backends) {
    await tf.setBackend(b);
    const t0 = performance.now();
    tf.tidy(() => nets[b].forward(xs[b])).dispose();
    tot[b].push(performance.now() - t0);
    if (r >= 10 && r % 3 === 0) {
      const info = await tf.profile(() => tf.tidy(() => nets[b].forward(xs[b])));
      (info.result as tf.Tensor).dispose();
      const counts = new Map<string, number>();
      for (const k of info.kernels) {
        const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
        const n = (counts.get(key) ?? 0); counts.set(key, n + 1);
        const kk = key + '#' + n;
        if (!acc[b].has(kk)) acc[b].set(kk, []);
        acc[b].get(kk)!.push(k.kernelTimeMs as number);
      }
    }
  }
}
const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
for (const b of backends) {
  console.log(`${b}: forward median ${med(tot[b].slice(10)).toFixed(3)} ms`);
  let sum = 0;
  for (const [k, v] of acc[b]) { sum += med(v); console.log(`  ${med(v).toFixed(3).padStart(8)}  ${k}`); }
  console.log(`  sum of kernels ${sum.toFixed(3)}`);
}
