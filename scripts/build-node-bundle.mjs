// dist/simdnet.node.cjs: the library for plain Node (`import 'simdnet'` / `require('simdnet')`),
// one CommonJS file with tfjs-core's ES-module build bundled in. tfjs-core's own Node entry lacks
// the gradient and chained-op registrations, and its ES modules cannot be loaded by plain Node
// (extension-less imports), so the library cannot leave them external there. tfjs keeps its
// engine and registries on globalThis, so a user's own `@tensorflow/tfjs-core` import sees the
// `simd` backend, the gradients and the chained ops registered by this bundle.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/index.ts'],
  bundle: true, platform: 'node', format: 'cjs', target: 'node18',
  mainFields: ['module', 'main'],
  ignoreAnnotations: true,   // tfjs-core marks its registration modules side-effect free
  outfile: 'dist/simdnet.node.cjs',
  logLevel: 'warning',
});
console.log('built dist/simdnet.node.cjs');

// The DataLoader's decode worker scripts (dist/simdnet.decode-worker.cjs / .js).
const { buildDecodeWorker } = await import('./build-decode-worker.mjs');
console.log(`built ${(await buildDecodeWorker()).join(', ')}`);
