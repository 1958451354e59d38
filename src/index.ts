/**
 * simdnet: classic CNNs on WebAssembly SIMD. Importing the library registers the `simd`
 * TensorFlow.js backend (see src/backend/index.ts), tfjs' chained tensor methods
 * (`x.reshape(...)`) and its gradients (for training), as the `@tensorflow/tfjs` union package does.
 */
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { registerSimdBackend } from './backend/index';

registerSimdBackend();

export * from './backend/index';
export * from './ready';
export * from './worker/client';
export * as nn from './nn/index';
export * as models from './models/index';
export * as ops from './ops/index';
export * from './train/index';
export * as safetensors from './io/safetensors';
export * as idx from './io/idx';
export * as detection from './detection/index';
export * as data from './data/index';
export * as transforms from './transforms/index';
