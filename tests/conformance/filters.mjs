// Which tfjs-core 4.22.0 specs test which kernel, as jasmine_util TestFilters.
// A spec's full name is `${describeWithFlags name} ${testEnv.name} ${flags} ${it name}`,
// e.g. 'conv2d simd {} x=[2,2,1] f=[1,1,1,2] s=1 d=1 p=0'; the prefix '<suite> simd {} '
// selects exactly one describeWithFlags block.
const ENV = 'simd {}';

// Native kernel -> spec-name prefixes ('<suite>' or '<suite> simd {} <it-prefix>').
// Grows with the backend: every native kernel must have an entry (checked below).
export const KERNEL_TESTS = {
  Reshape: [`tensor ${ENV} reshape`, 'expandDims', 'squeeze'],
  Identity: ['clone'],
  Cast: [`tensor ${ENV} cast`, `tensor ${ENV} astype`],
  Relu: ['relu'],
  // -- elementwise & reductions --
  // -- end elementwise --
  // -- conv & matmul --
  // -- end conv & matmul --
  // -- pooling --
  // -- end pooling --
};

// Specs that need kernels this backend does not provide even through delegation
// (complex64 storage): excluded in every mode.
export const UNSUPPORTED = ['complex', 'FFT', 'fft', 'RFFT', 'rfft', 'stft', 'Complex', 'real', 'imag',
  // these mix a complex64 tensor into otherwise real specs:
  'upcasts when dtypes dont match', 'Mixed dtype tensors'];

export const prefixOf = p => (p.includes(ENV) ? p : `${p} ${ENV} `);

// SIMD_TESTS selects the mode:
//   unset / all -> every describeWithFlags spec (native kernels + the cpu delegation)
//   native      -> KERNEL_TESTS of the native kernels only
//   K1,K2       -> KERNEL_TESTS of those kernels only
export function buildFilters(registered, native) {
  const mode = process.env.SIMD_TESTS || 'all';
  const missing = native.filter(k => !KERNEL_TESTS[k]);
  console.log(`[simd] ${registered.length} kernels registered (${native.length} native); SIMD_TESTS=${mode}`);
  if (missing.length) throw new Error(`[simd] native kernels without KERNEL_TESTS entry: ${missing.join(',')}`);
  const excludes = UNSUPPORTED;
  if (mode === 'all') return { filters: [{ include: ` ${ENV} `, excludes }], customInclude: () => false };
  const only = mode === 'native' ? native : mode.split(',');
  const filters = only.flatMap(k => (KERNEL_TESTS[k] ?? []).map(p => ({ startsWith: prefixOf(p), excludes })));
  return { filters, customInclude: () => false };
}
