/**
 * Messages between a {@link WorkerModel} (src/worker/client.ts) and its worker
 * (src/worker/worker.ts). Plain structured-clone data; float arrays travel as transferables.
 *
 * Every request carries an `id`; the worker answers each one exactly once, with the same `id`,
 * in the order it received them (it handles one request at a time).
 */

/** Zoo models a worker can build, by their torchvision-style factory name (src/models). */
export const WORKER_MODELS = [
  'lenet5', 'lenet', 'alexnet',
  'vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn',
  'googlenet', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152',
] as const;
export type WorkerModelName = (typeof WORKER_MODELS)[number];

/** First message: pick the backend (see `ready()` in src/ready.ts). */
export interface InitRequest {
  type: 'init';
  id: number;
  prefer?: string[];
  allowHalfFloat?: boolean;
  /** Kernel module for the worker's `setWasmSource` (a compiled module is not recompiled). */
  wasm?: WebAssembly.Module | ArrayBuffer | Uint8Array;
}

/** Build a zoo model and load safetensors weights (PyTorch state-dict keys). */
export interface LoadRequest {
  type: 'load';
  id: number;
  model: WorkerModelName;
  /** Absolute URL (http(s):, blob:, data:, file: in Node) or the file's bytes. */
  weights: string | ArrayBuffer | Uint8Array;
  /** Cache fetched weights in IndexedDB keyed by URL (browsers; ignored in Node). */
  cache?: boolean;
  /** Passed to the model factory (e.g. `{ numClasses: 10 }`). */
  options?: Record<string, unknown>;
}

/** Run the model once. `input` is a transferred float32 buffer. */
export interface PredictRequest {
  type: 'predict';
  id: number;
  input: Float32Array;
  shape: number[];
  layout?: 'NHWC' | 'NCHW';
}

export interface DisposeRequest {
  type: 'dispose';
  id: number;
}

export type Request = InitRequest | LoadRequest | PredictRequest | DisposeRequest;

export interface InitResult { backend: string; reasons: string[] }
export interface LoadResult {
  model: WorkerModelName;
  backend: string;
  /** Number of parameters (weights, not BN buffers). */
  parameters: number;
  /** Weights came from the IndexedDB cache (no network). */
  fromCache: boolean;
  /** Time to fetch/read the weights, build the model and load the state dict, in ms. */
  ms: number;
}
export interface PredictResult {
  /** The model's output (logits), row-major. */
  output: Float32Array;
  shape: number[];
  backend: string;
  /** Time in the worker from input upload to output download, in ms. */
  ms: number;
}

/** The worker's answer to request `id`. */
export type Response =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string } };
