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
  Relu6: ['relu6'],
  Exp: ['exp', 'logSumExp'],
  Log: ['log', 'logSoftmax'],
  Sqrt: ['sqrt'],
  Rsqrt: ['rsqrt'],
  Square: ['square'],
  Neg: ['neg'],
  Step: ['step kernel'],
  Sigmoid: ['sigmoid'],
  Tanh: ['tanh'],
  Abs: ['abs'],
  LeakyRelu: ['leakyrelu'],
  Add: ['add'],
  AddN: ['addN'],
  Sub: ['sub'],
  Multiply: ['mul'],
  RealDiv: ['div'],
  Maximum: ['maximum'],
  Minimum: ['minimum'],
  SquaredDifference: ['squaredDifference'],
  Sum: ['sum'],
  Mean: ['mean', 'moments'],
  Prod: ['prod'],
  Max: ['max'],
  Min: ['min'],
  ArgMax: ['argmax'],
  ArgMin: ['argmin'],
  Softmax: ['softmax'],
  Transpose: ['transpose'],
  Concat: ['concat1d', 'concat2d', 'concat3d'],
  PadV2: ['pad 1d', 'pad 2d', 'pad 3d', 'pad 4d', 'pad'],
  Slice: ['slice1d', 'slice2d', 'slice3d', 'slice4d', 'slice5d', 'slice6d', 'slice '],
  StridedSlice: ['stridedSlice'],
  Fill: ['fill', 'zeros', 'ones'],
  ZerosLike: ['zerosLike'],
  OnesLike: ['onesLike'],
  Pack: ['stack'],
  Unpack: ['unstack'],
  Tile: ['tile'],
  GatherV2: ['gather'],
  Equal: ['equal'],
  NotEqual: ['notEqual'],
  Greater: ['greater'],
  GreaterEqual: ['greaterEqual'],
  Less: ['less'],
  LessEqual: ['lessEqual'],
  Select: ['where'],
  // -- end elementwise --
  // -- conv & matmul --
  Conv2D: ['conv2d', 'conv1d'],
  FusedConv2D: ['fused conv2d'],
  BatchMatMul: ['matmul', 'matmulBatch', 'dot'],
  _FusedMatMul: ['fused matmul'],
  Conv2DBackpropInput: ['conv2dTranspose', `conv2d ${ENV} gradient`, `fused conv2d ${ENV} gradient`],
  Conv2DBackpropFilter: [`conv2d ${ENV} gradient`, `fused conv2d ${ENV} gradient`, `conv2dTranspose ${ENV} gradient`],
  // -- end conv & matmul --
  // -- pooling --
  MaxPool: ['maxPool', `pool ${ENV} max`],
  AvgPool: ['avgPool', `pool ${ENV} avg`],
  MaxPoolGrad: ['maxPoolBackprop', `poolBackprop ${ENV} max`],
  AvgPoolGrad: [`avgPool ${ENV} gradient`, `poolBackprop ${ENV} avg`],
  // -- end pooling --
  // -- resize --
  ResizeBilinear: ['resizeBilinear'],
  // -- end resize --
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
