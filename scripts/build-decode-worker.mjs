// The DataLoader's decode worker scripts (src/data/decode_worker.ts), built with esbuild:
//   dist/simdnet.decode-worker.cjs  Node worker_threads (pngjs / jpeg-js decoders)
//   dist/simdnet.decode-worker.js   browser Web Worker, classic script (createImageBitmap +
//                                   OffscreenCanvas decoding; pngjs replaced by a stub)
// Node's TypeScript loader hooks do not reach worker threads, hence a built plain-JS script.
// Run by scripts/build-node-bundle.mjs (npm ci / npm run build:node) and by the tests when stale.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const common = {
  entryPoints: ['src/data/decode_worker.ts'], bundle: true, target: 'es2020', logLevel: 'warning',
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)), minify: true, legalComments: 'none',
};
const pngStub = {
  name: 'pngjs-stub',
  setup(b) {
    b.onResolve({ filter: /^pngjs$/ }, () => ({ path: 'pngjs', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export class PNG { constructor() { throw new Error("simdnet: pngjs is Node-only; browsers decode with createImageBitmap"); } } export default { PNG };',
      loader: 'js',
    }));
  },
};

/** Builds both scripts; returns their paths. */
export async function buildDecodeWorker() {
  await Promise.all([
    build({ ...common, platform: 'node', format: 'cjs', outfile: 'dist/simdnet.decode-worker.cjs', mainFields: ['module', 'main'] }),
    build({ ...common, platform: 'browser', format: 'iife', outfile: 'dist/simdnet.decode-worker.js', plugins: [pngStub] }),
  ]);
  return ['dist/simdnet.decode-worker.cjs', 'dist/simdnet.decode-worker.js'];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`built ${(await buildDecodeWorker()).join(', ')}`);
}
