/**
 * simdnet/ops: the ops tfjs lacks or defines differently from PyTorch. Each is one function
 * with a native path on the `simd` backend where it matters and a composite of tfjs ops
 * elsewhere; every one is differentiable. Tensors are NHWC.
 *
 * | op                  | PyTorch                                  | simd                       | elsewhere                      |
 * |---------------------|------------------------------------------|----------------------------|--------------------------------|
 * | adaptiveAvgPool2d   | F.adaptive_avg_pool2d                    | assembly/ops.ts kernel     | mean / avgPool / 2 matmuls     |
 * | maxPool2dTorch      | F.max_pool2d (ceil_mode, padding, dil.)  | MaxPool kernel, explicit pads (same code) | same                  |
 * | avgPool2dTorch      | F.avg_pool2d (ceil_mode, count_include_pad, divisor_override) | pool_impl avgPoolImpl | pad + avgPool + divisor map |
 * | conv2dGroups        | F.conv2d(groups=g)                       | Conv2D per group (same code) | split / conv2d / concat      |
 * | interpolate         | F.interpolate bilinear / nearest (size, scale_factor, align_corners) | ResizeBilinear kernel; gathers | same (tfjs kernels) |
 * | adaptiveMaxPool2d   | F.adaptive_max_pool2d (values; returnIndices: + indices h·W+w, int32) | assembly/ops.ts kernels + native grad | maxPool / slice+max per bin row, column; indices: separable arg-max + gather |
 * | spatialPyramidPool  | SPP-net layer: cat(adaptive_max_pool2d(x, l).view(N, -1)) | adaptiveMaxPool2d per level | same |
 */
export { adaptiveAvgPool2d, adaptiveBin, type AdaptiveSize } from './adaptive_avg_pool.js';
export { maxPool2dTorch, type MaxPool2dTorchOptions } from './max_pool.js';
export { avgPool2dTorch, type AvgPool2dTorchOptions } from './avg_pool.js';
export { conv2dGroups, type Conv2dGroupsOptions } from './conv_groups.js';
export { interpolate, type InterpolateOptions } from './interpolate.js';
export { roiAlign, roiPool, roiAlignAsync, roiPoolAsync, roiAlignImpl, roiPoolImpl, type RoiOptions } from './roi.js';
export { torchPoolOutSize, torchPoolGeometry, type TorchPoolGeometry, type TorchPoolArgs } from './util.js';
export {
  adaptiveMaxPool2d, adaptiveMaxPool2dWithIndices, spatialPyramidPool, flattenPyramid, type AdaptiveMaxPool2dOptions, type SpatialPyramidPoolOptions,
} from './adaptive_max_pool.js';
