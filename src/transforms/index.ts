/**
 * simdnet/transforms: torchvision.transforms names and semantics over HWC uint8 images and
 * HWC float32 tensors (see transforms.ts for the layout and randomness rules).
 */
export {
  Compose, Resize, CenterCrop, RandomResizedCrop, RandomHorizontalFlip, ToTensor, Normalize, ImageTransform, ImageTransformPhase,
  crop, centerCrop, resize, resizedCrop, hflip,
  type HwcTensor, type Transform, type Rng, type RandomResizedCropOptions, type ImageTransformOptions,
} from './transforms.js';
export { transformSpec, transformFromSpec, type TransformSpec } from './spec.js';
