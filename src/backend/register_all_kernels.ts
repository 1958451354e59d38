/**
 * Every native `simd` kernel, one config per file in ./kernels (named like the tfjs kernel).
 * Kernels not listed here are delegated to tfjs-backend-cpu (cpu_fallback.ts).
 */
import { KernelConfig, registerKernel } from '@tensorflow/tfjs-core';
import { castConfig } from './kernels/Cast';
import { identityConfig } from './kernels/Identity';
import { reluConfig } from './kernels/Relu';
import { reshapeConfig } from './kernels/Reshape';
// -- elementwise & reductions (owned by the elementwise work) --
import { absConfig } from './kernels/Abs';
import { addConfig } from './kernels/Add';
import { addNConfig } from './kernels/AddN';
import { argMaxConfig } from './kernels/ArgMax';
import { argMinConfig } from './kernels/ArgMin';
import { concatConfig } from './kernels/Concat';
import { expConfig } from './kernels/Exp';
import { fillConfig } from './kernels/Fill';
import { gatherV2Config } from './kernels/GatherV2';
import { leakyReluConfig } from './kernels/LeakyRelu';
import { logConfig } from './kernels/Log';
import { maxConfig } from './kernels/Max';
import { maximumConfig } from './kernels/Maximum';
import { meanConfig } from './kernels/Mean';
import { minConfig } from './kernels/Min';
import { minimumConfig } from './kernels/Minimum';
import { multiplyConfig } from './kernels/Multiply';
import { negConfig } from './kernels/Neg';
import { onesLikeConfig } from './kernels/OnesLike';
import { packConfig } from './kernels/Pack';
import { padV2Config } from './kernels/PadV2';
import { prodConfig } from './kernels/Prod';
import { realDivConfig } from './kernels/RealDiv';
import { relu6Config } from './kernels/Relu6';
import { rsqrtConfig } from './kernels/Rsqrt';
import { sigmoidConfig } from './kernels/Sigmoid';
import { sliceConfig } from './kernels/Slice';
import { softmaxConfig } from './kernels/Softmax';
import { sqrtConfig } from './kernels/Sqrt';
import { squareConfig } from './kernels/Square';
import { squaredDifferenceConfig } from './kernels/SquaredDifference';
import { stepConfig } from './kernels/Step';
import { stridedSliceConfig } from './kernels/StridedSlice';
import { subConfig } from './kernels/Sub';
import { sumConfig } from './kernels/Sum';
import { tanhConfig } from './kernels/Tanh';
import { tileConfig } from './kernels/Tile';
import { transposeConfig } from './kernels/Transpose';
import { unpackConfig } from './kernels/Unpack';
import { zerosLikeConfig } from './kernels/ZerosLike';
import { equalConfig } from './kernels/Equal';
import { notEqualConfig } from './kernels/NotEqual';
import { greaterConfig } from './kernels/Greater';
import { greaterEqualConfig } from './kernels/GreaterEqual';
import { lessConfig } from './kernels/Less';
import { lessEqualConfig } from './kernels/LessEqual';
import { selectConfig } from './kernels/Select';
// -- end elementwise --
// -- conv & matmul --
import { batchMatMulConfig } from './kernels/BatchMatMul';
import { conv2DConfig } from './kernels/Conv2D';
import { fusedConv2DConfig } from './kernels/FusedConv2D';
import { _fusedMatMulConfig } from './kernels/_FusedMatMul';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput';
// -- end conv & matmul --
// -- pooling --
import { avgPoolConfig } from './kernels/AvgPool';
import { avgPoolGradConfig } from './kernels/AvgPoolGrad';
import { maxPoolConfig } from './kernels/MaxPool';
import { maxPoolGradConfig } from './kernels/MaxPoolGrad';
// -- end pooling --
// -- resize --
import { resizeBilinearConfig } from './kernels/ResizeBilinear';
// -- end resize --

export const NATIVE_KERNEL_CONFIGS: KernelConfig[] = [
  castConfig,
  identityConfig,
  reluConfig,
  reshapeConfig,
  // elementwise & reductions:
  absConfig,
  addConfig,
  addNConfig,
  argMaxConfig,
  argMinConfig,
  concatConfig,
  expConfig,
  fillConfig,
  gatherV2Config,
  leakyReluConfig,
  logConfig,
  maxConfig,
  maximumConfig,
  meanConfig,
  minConfig,
  minimumConfig,
  multiplyConfig,
  negConfig,
  onesLikeConfig,
  packConfig,
  padV2Config,
  prodConfig,
  realDivConfig,
  relu6Config,
  rsqrtConfig,
  sigmoidConfig,
  sliceConfig,
  softmaxConfig,
  sqrtConfig,
  squareConfig,
  squaredDifferenceConfig,
  stepConfig,
  stridedSliceConfig,
  subConfig,
  sumConfig,
  tanhConfig,
  tileConfig,
  transposeConfig,
  unpackConfig,
  zerosLikeConfig,
  equalConfig,
  notEqualConfig,
  greaterConfig,
  greaterEqualConfig,
  lessConfig,
  lessEqualConfig,
  selectConfig,
  // conv & matmul:
  batchMatMulConfig,
  conv2DConfig,
  fusedConv2DConfig,
  _fusedMatMulConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  // pooling:
  avgPoolConfig,
  avgPoolGradConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  // resize:
  resizeBilinearConfig,
];

/** Names of the kernels with a native simd implementation. */
export const NATIVE_KERNELS: string[] = NATIVE_KERNEL_CONFIGS.map(c => c.kernelName);

/** Registers every config of NATIVE_KERNEL_CONFIGS with tfjs-core (backend name 'simd'). */
export function registerAllKernels(): void {
  for (const c of NATIVE_KERNEL_CONFIGS) registerKernel(c);
}
