// simdnet's published bundles (`npm run build:bundle` = `rollup -c`; the wasm kernels are
// embedded as base64 by `npm run build:wasm`, so no bundle needs a .wasm next to it):
//
//   dist/simdnet.esm.js      ESM library; its dependencies (@tensorflow/*, pngjs, jpeg-js, …) external
//   dist/simdnet.umd.cjs     UMD library; the same external (global `tf`: load tfjs' UMD builds first)
//   dist/types/              declarations
//   dist/simdnet.worker.js   the worker script for createWorker(): a self-contained classic script
//                            (IIFE) with tfjs-core, cpu, webgl and simdnet; loadable from its URL,
//                            a Blob URL, or by Node worker_threads
//   dist/simdnet.browser.js  self-contained IIFE, global `simdnet` (+ `simdnet.tf`), for <script>
//                            (pngjs replaced by a stub that throws: browsers decode images natively)
//   dist/simdnet.browser.mjs the same as an ES module
//
// The library build type-checks and emits declarations (@rollup/plugin-typescript); the two
// self-contained builds transpile with esbuild (no type check: the library build and
// `npm run typecheck` do that) and are minified with esbuild. Environment: SIMDNET_BUNDLES=
// 'lib,worker,browser' (a subset) builds only those; SIMDNET_TYPECHECK=0 turns the library
// build's type errors into warnings (the tests' builds, tests/browser/bundles.mjs, use it so that
// a type error elsewhere does not hide their results; `npm run build` keeps them fatal).
import typescript from '@rollup/plugin-typescript';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import { transform } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';

// The library keeps its dependencies external (npm installs them); UMD globals for <script> use.
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const external = id => id.startsWith('node:') || deps.some(d => id === d || id.startsWith(`${d}/`));
const globals = id => (id.startsWith('@tensorflow/') ? 'tf' : id === 'jpeg-js' ? 'jpeg' : id.replace(/[^\w$]/g, '_'));

/**
 * Stand-ins for Node-only modules in the self-contained bundles, which must load in any browser
 * or worker: pngjs (needs zlib/stream; pages decode images with createImageBitmap / canvas) and
 * `node:*` built-ins imported statically by Node-only code paths (file datasets). Loading is
 * fine; calling anything from them throws a clear error.
 */
function browserStubs() {
  const pngjs = `const why = () => { throw new Error("simdnet: PNG decoding/encoding (pngjs) is Node-only; in a browser decode images with createImageBitmap() or a canvas"); };
export class PNG { constructor() { why(); } static get sync() { return why(); } }
export default { PNG };`;
  const builtin = name => `const fail = () => { throw new Error(${JSON.stringify(`simdnet: ${name} is Node-only (not in the browser/worker bundle)`)}); };
export const __stub = new Proxy({}, { get: (_, key) => (typeof key === 'string' ? fail : undefined) });
export default __stub;`;
  return {
    name: 'browser-stubs',
    resolveId: id => (id === 'pngjs' || id.startsWith('node:') ? `\0stub:${id}` : null),
    load(id) {
      if (!id.startsWith('\0stub:')) return null;
      const name = id.slice('\0stub:'.length);
      return name === 'pngjs' ? pngjs : { code: builtin(name), syntheticNamedExports: '__stub' };
    },
  };
}

/** TypeScript via esbuild; resolves the `./x.js` specifiers of the sources to `./x.ts`. */
function esbuildTs() {
  return {
    name: 'esbuild-ts',
    resolveId(source, importer) {
      if (!importer || !importer.endsWith('.ts') || !source.startsWith('.')) return null;
      const base = new URL(source, `file://${importer}`).pathname;
      for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}/index.ts`]) {
        if (existsSync(candidate)) return candidate;
      }
      return null;
    },
    async transform(code, id) {
      if (!id.endsWith('.ts')) return null;
      const r = await transform(code, { loader: 'ts', format: 'esm', target: 'es2020', sourcefile: id, sourcemap: true });
      return { code: r.code, map: r.map };
    },
  };
}

/** Minifies each output chunk with esbuild (keeps an IIFE's global and an ES module's exports). */
function minify() {
  return {
    name: 'esbuild-minify',
    async renderChunk(code, _chunk, out) {
      const r = await transform(code, { minify: true, keepNames: true, target: 'es2020', format: out.format === 'es' ? 'esm' : undefined, legalComments: 'none' });
      return { code: r.code, map: null };
    },
  };
}

// tfjs-core's Node platform (selected when a worker runs under Node worker_threads) calls a
// free `require('util')`; give ES-module and classic-script contexts one for Node built-ins.
const nodeRequireShim =
    "var require = typeof require === 'function' ? require : typeof process === 'object' && process && " +
    "typeof process.getBuiltinModule === 'function' ? function (id) { return process.getBuiltinModule(id); } : undefined;";

const selfContained = () => [
  browserStubs(),
  esbuildTs(),
  nodeResolve({ browser: true, preferBuiltins: false, extensions: ['.mjs', '.js', '.json', '.ts'] }),
  commonjs(),
];

// Silence the known, harmless warnings of bundling tfjs (its `this` at top level in
// transpiled helpers, and circular imports inside tfjs-core itself).
function onwarn(w, warn) {
  if (w.code === 'THIS_IS_UNDEFINED') return;
  if (w.code === 'CIRCULAR_DEPENDENCY' && w.ids?.every(id => id.includes('node_modules'))) return;
  warn(w);
}

const builds = {
  lib: {
    input: 'src/index.ts',
    external,
    onwarn,
    plugins: [
      nodeResolve({ browser: true }),
      typescript({
        tsconfig: './tsconfig.json', declaration: true, declarationDir: 'dist/types', outDir: 'dist', include: ['src/**/*.ts'],
        noEmitOnError: process.env.SIMDNET_TYPECHECK !== '0',
      }),
    ],
    output: [
      { file: 'dist/simdnet.esm.js', format: 'es', sourcemap: false },
      { file: 'dist/simdnet.umd.cjs', format: 'umd', name: 'simdnet', globals, sourcemap: false, inlineDynamicImports: true },
    ],
  },
  worker: {
    input: 'src/worker/worker.ts',
    onwarn,
    plugins: [...selfContained(), minify()],
    output: { file: 'dist/simdnet.worker.js', format: 'iife', banner: nodeRequireShim, inlineDynamicImports: true },
  },
  browser: {
    input: 'src/browser.ts',
    onwarn,
    plugins: [...selfContained(), minify()],
    output: [
      { file: 'dist/simdnet.browser.js', format: 'iife', name: 'simdnet', inlineDynamicImports: true },
      { file: 'dist/simdnet.browser.mjs', format: 'es', inlineDynamicImports: true },
    ],
  },
};

const only = (process.env.SIMDNET_BUNDLES ?? '').split(',').map(s => s.trim()).filter(Boolean);
for (const name of only) if (!builds[name]) throw new Error(`SIMDNET_BUNDLES: unknown build '${name}' (${Object.keys(builds).join(', ')})`);
export default Object.entries(builds).filter(([name]) => only.length === 0 || only.includes(name)).map(([, b]) => b);
