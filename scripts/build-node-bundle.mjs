// dist/simdnet.node.cjs: the library for plain Node (`import 'simdnet'` / `require('simdnet')`),
// one CommonJS file with tfjs-core's ES-module build bundled in. tfjs-core's own Node entry lacks
// the gradient and chained-op registrations, and its ES modules cannot be loaded by plain Node
// (extension-less imports), so the library cannot leave them external there. tfjs keeps its
// engine and registries on globalThis, so a user's own `@tensorflow/tfjs-core` import sees the
// `simd` backend, the gradients and the chained ops registered by this bundle.
import { build } from 'esbuild';

const common = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node18',
  mainFields: ['module', 'main'],
  ignoreAnnotations: true,   // tfjs-core marks its registration modules side-effect free
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/simdnet.node.cjs' }),
  // createWorker()'s default worker script in plain Node (the CommonJS library above resolves it
  // next to itself): src/worker/worker.ts with tfjs-core and simdnet bundled the same way, so a
  // plain `npm ci` gives a working createWorker() without the rollup build (dist/simdnet.worker.js).
  build({ ...common, entryPoints: ['src/worker/worker.ts'], outfile: 'dist/simdnet.worker.node.cjs' }),
]);
console.log('built dist/simdnet.node.cjs, dist/simdnet.worker.node.cjs');

// The DataLoader's decode worker scripts (dist/simdnet.decode-worker.cjs / .js).
const { buildDecodeWorker } = await import('./build-decode-worker.mjs');
console.log(`built ${(await buildDecodeWorker()).join(', ')}`);
