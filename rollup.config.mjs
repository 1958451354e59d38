// Library bundles: ESM and UMD, with the wasm kernel module embedded (base64) so a bundle
// needs no path configuration. @tensorflow/* stay external (peer/dependencies; UMD global `tf`).
import typescript from '@rollup/plugin-typescript';
import { nodeResolve } from '@rollup/plugin-node-resolve';

const external = id => id.startsWith('@tensorflow/') || id.startsWith('node:');
const globals = id => (id.startsWith('@tensorflow/') ? 'tf' : id);

export default {
  input: 'src/index.ts',
  external,
  plugins: [
    nodeResolve({ browser: true }),
    typescript({ tsconfig: './tsconfig.json', declaration: true, declarationDir: 'dist/types', outDir: 'dist', noEmitOnError: true, include: ['src/**/*.ts'] }),
  ],
  output: [
    { file: 'dist/simdnet.esm.js', format: 'es', sourcemap: false },
    { file: 'dist/simdnet.umd.cjs', format: 'umd', name: 'simdnet', globals, sourcemap: false },
  ],
};
