/**
 * Entry of the self-contained browser bundles (dist/simdnet.browser.js, global `simdnet`, and
 * dist/simdnet.browser.mjs): the whole library (src/index.ts: backend, ready, createWorker, nn,
 * models, ops, train, safetensors, idx) plus what a page needs without a bundler — tfjs-core as
 * `simdnet.tf`, the `cpu` and `webgl` backends (imported eagerly here; the npm library loads
 * webgl lazily, see src/ready.ts) and the Fashion-MNIST normalization. The wasm kernels are
 * embedded: no path configuration from file://, a webview's custom scheme or a CDN.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';

export * from './index';
export * as tf from '@tensorflow/tfjs-core';
export { FASHION_MNIST_MEAN, FASHION_MNIST_STD, imagesToTensor } from './data/fashion_mnist';
