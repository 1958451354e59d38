/**
 * simdnet/nn: a PyTorch-like module system on tfjs-core (NHWC inside, PyTorch names and layouts
 * at the state-dict boundary).
 */
export {
  Module,
  type AnyModule,
  type Parameter,
  type ParameterOptions,
  type BufferOptions,
  parameter,
  buffer,
  layoutOf,
  type Layout,
  Layouts,
  torchShape,
  storedShape,
  layoutToTorch,
  layoutFromTorch,
  type StateDict,
  type StateDictLike,
  type TensorData,
  disposeStateDict,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type ShapeMismatch,
  StateDictError,
} from './module.js';
export { Conv2d, type Conv2dOptions } from './conv.js';
export { Linear, type LinearOptions } from './linear.js';
export { MaxPool2d, AvgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from './pooling.js';
export { AdaptiveAvgPool2d } from './adaptive.js';
export { initTorchvision, normal, type TorchvisionInit, type ConvInit, type LinearInit } from './init_torchvision.js';
export { convBnAct, forwardFused, releaseFolded, withoutFusion, fusionIsEnabled } from './fused.js';
export { ReLU, Tanh, Sigmoid, Softmax, LogSoftmax, Identity } from './activation.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './batchnorm.js';
export { Dropout } from './dropout.js';
export { Dropout2d } from './dropout2d.js';
export { ConvTranspose2d, type ConvTranspose2dOptions } from './conv_transpose.js';
export { Upsample, type UpsampleOptions } from './upsample.js';
export { Flatten } from './flatten.js';
export { Sequential, ModuleList } from './container.js';
export { fromNCHW, toNCHW, torchDimToAxis, type Pair } from './utils.js';
export {
  type Rng,
  SeededRng,
  manualSeed,
  withSeed,
  getRng,
  uniform,
  kaimingUniform,
  defaultBias,
  leakyReluGain,
} from './init.js';
export { AdaptiveMaxPool2d, SpatialPyramidPooling, type AdaptiveMaxPool2dModuleOptions } from './adaptive.js';
