/**
 * The worker side of {@link WorkerModel}: entry of `dist/simdnet.worker.js` (a self-contained
 * IIFE with tfjs-core, the cpu/webgl backends and simdnet) and, from source, of the Node worker.
 *
 * Runs in a dedicated Web Worker (browsers; WebGL through OffscreenCanvas) or in a Node
 * `worker_threads` worker. Handles one request at a time in arrival order (protocol.ts); a
 * failed request is answered with its error message and the worker carries on.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../index';
import { setWasmSource } from '../backend/index';
import { ready } from '../ready';
import * as zoo from '../models/index';
import type { Module } from '../nn/index';
import { parseSafetensors } from '../io/safetensors';
import { fetchWeights } from './weights';
import type {
  InitResult, LoadRequest, LoadResult, PredictRequest, PredictResult, Request, Response, WorkerModelName,
} from './protocol';

type AnyModel = Module<tf.Tensor, tf.TensorContainer>;

/** How to build each zoo model and what input it takes (NHWC channels, fixed H×W if any). */
interface ModelSpec {
  make: (opts: Record<string, unknown>) => AnyModel;
  channels: number;
  size?: [number, number];
  /** State-dict key of the classifier's weight [numClasses, features]: infers `numClasses`. */
  head: string;
}

const vgg = (make: (o: Record<string, unknown>) => AnyModel): ModelSpec => ({ make, channels: 3, head: 'classifier.6.weight' });
const resnet = (make: (o: Record<string, unknown>) => AnyModel): ModelSpec => ({ make, channels: 3, head: 'fc.weight' });

const MODELS: Record<WorkerModelName, ModelSpec> = {
  lenet5: { make: o => zoo.lenet5(o), channels: 1, size: [28, 28], head: 'fc3.weight' },
  lenet: { make: o => zoo.lenet(o), channels: 3, size: [224, 224], head: 'fc2.weight' },
  alexnet: vgg(o => zoo.alexnet(o)),
  vgg11: vgg(o => zoo.vgg11(o)), vgg11_bn: vgg(o => zoo.vgg11_bn(o)),
  vgg13: vgg(o => zoo.vgg13(o)), vgg13_bn: vgg(o => zoo.vgg13_bn(o)),
  vgg16: vgg(o => zoo.vgg16(o)), vgg16_bn: vgg(o => zoo.vgg16_bn(o)),
  vgg19: vgg(o => zoo.vgg19(o)), vgg19_bn: vgg(o => zoo.vgg19_bn(o)),
  googlenet: { make: o => zoo.googlenet(o) as AnyModel, channels: 3, head: 'fc.weight' },
  resnet18: resnet(o => zoo.resnet18(o)), resnet34: resnet(o => zoo.resnet34(o)),
  resnet50: resnet(o => zoo.resnet50(o)), resnet101: resnet(o => zoo.resnet101(o)),
  resnet152: resnet(o => zoo.resnet152(o)),
};

let initResult: InitResult | null = null;
let current: { name: WorkerModelName; spec: ModelSpec; model: AnyModel } | null = null;

function freeModel(): void {
  current?.model.dispose();
  current = null;
}

async function load(req: LoadRequest): Promise<LoadResult> {
  if (initResult === null) throw new Error('the worker has no backend yet (init failed or was not sent)');
  const spec = Object.prototype.hasOwnProperty.call(MODELS, req.model) ? MODELS[req.model] : undefined;
  if (!spec) throw new Error(`unknown model '${req.model}'; one of: ${Object.keys(MODELS).join(', ')}`);
  const t0 = performance.now();
  let bytes: Uint8Array, fromCache = false;
  if (typeof req.weights === 'string') {
    ({ bytes, fromCache } = await fetchWeights(req.weights, { cache: req.cache }));
  } else if (req.weights instanceof ArrayBuffer || req.weights instanceof Uint8Array) {
    bytes = req.weights instanceof Uint8Array ? req.weights : new Uint8Array(req.weights);
  } else {
    throw new Error('missing weights: pass a URL or the bytes of a .safetensors file');
  }
  const file = parseSafetensors(bytes);
  const opts: Record<string, unknown> = { initWeights: false, ...req.options };
  const head = file.tensors.get(spec.head);
  if (opts.numClasses === undefined && head) opts.numClasses = head.shape[0];
  if (req.model === 'googlenet' && opts.auxLogits === undefined) {
    opts.auxLogits = [...file.tensors.keys()].some(k => k.startsWith('aux1.'));
  }
  const model = spec.make(opts);
  try {
    model.loadStateDict(file.tensors, { strict: true });
  } catch (e) {
    model.dispose();
    throw e;  // the previously loaded model, if any, stays in service
  }
  model.eval();
  freeModel();
  current = { name: req.model, spec, model };
  return { model: req.model, backend: tf.getBackend(), parameters: model.numParameters(), fromCache, ms: performance.now() - t0 };
}

function checkShape(req: PredictRequest, spec: ModelSpec, name: string): void {
  const { shape, input } = req;
  const nchw = req.layout === 'NCHW';
  const want = `[N, ${spec.size?.[0] ?? 'H'}, ${spec.size?.[1] ?? 'W'}, ${spec.channels}]` + (nchw ? ' as NCHW [N, C, H, W]' : ' (NHWC)');
  const bad = (why: string) => new Error(`bad input shape [${shape.join(', ')}] for ${name}: ${why}; expected ${want}`);
  if (!(input instanceof Float32Array)) throw new Error('input must be a Float32Array');
  if (!Array.isArray(shape) || shape.length !== 4) throw bad('need rank 4');
  if (!shape.every(d => Number.isInteger(d) && d > 0)) throw bad('dimensions must be positive integers');
  const [h, w, c] = nchw ? [shape[2], shape[3], shape[1]] : [shape[1], shape[2], shape[3]];
  if (c !== spec.channels) throw bad(`${c} channels`);
  if (spec.size && (h !== spec.size[0] || w !== spec.size[1])) throw bad(`${h}×${w} pixels`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== input.length) throw bad(`it has ${n} elements but the input has ${input.length}`);
}

async function predict(req: PredictRequest): Promise<PredictResult> {
  if (current === null) throw new Error('no model loaded: call load() first');
  checkShape(req, current.spec, current.name);
  const t0 = performance.now();
  const model = current.model;
  const y = tf.tidy(() => {
    let x: tf.Tensor = tf.tensor4d(req.input, req.shape as [number, number, number, number]);
    if (req.layout === 'NCHW') x = tf.transpose(x, [0, 2, 3, 1]);
    const out = model.forward(x);
    return out instanceof tf.Tensor ? out : (out as { logits: tf.Tensor }).logits;
  });
  try {
    const output = (await y.data()) as Float32Array;
    return { output, shape: y.shape, backend: tf.getBackend(), ms: performance.now() - t0 };
  } finally {
    y.dispose();
  }
}

async function handle(req: Request): Promise<{ result: unknown; transfer: Transferable[] }> {
  switch (req.type) {
    case 'init': {
      if (req.wasm !== undefined) setWasmSource(req.wasm);
      initResult = await ready({ prefer: req.prefer, allowHalfFloat: req.allowHalfFloat });
      return { result: initResult, transfer: [] };
    }
    case 'load':
      return { result: await load(req), transfer: [] };
    case 'predict': {
      const r = await predict(req);
      return { result: r, transfer: [r.output.buffer] };
    }
    case 'dispose':
      freeModel();
      tf.disposeVariables();
      return { result: null, transfer: [] };
    default:
      throw new Error(`unknown request type '${(req as { type: string }).type}'`);
  }
}

/** The message channel to the client: the worker global (browsers) or `parentPort` (Node). */
interface Port {
  post(msg: Response, transfer: Transferable[]): void;
  listen(fn: (msg: Request) => void): void;
}

function port(): Port {
  const g = globalThis as unknown as {
    WorkerGlobalScope?: unknown;
    postMessage(m: unknown, t: Transferable[]): void;
    addEventListener(t: 'message', fn: (e: MessageEvent) => void): void;
  };
  if (g.WorkerGlobalScope !== undefined) {
    return { post: (m, t) => g.postMessage(m, t), listen: fn => g.addEventListener('message', e => fn(e.data as Request)) };
  }
  const wt = typeof process !== 'undefined'
    ? (process.getBuiltinModule?.('node:worker_threads') as typeof import('node:worker_threads') | undefined) : undefined;
  const parent = wt?.parentPort;
  if (!parent) throw new Error('simdnet worker: not running in a Web Worker or a Node worker_threads worker');
  return {
    post: (m, t) => parent.postMessage(m, t as Parameters<typeof parent.postMessage>[1]),
    listen: fn => parent.on('message', fn),
  };
}

const channel = port();
let queue: Promise<void> = Promise.resolve();
channel.listen(req => {
  queue = queue.then(async () => {
    try {
      const { result, transfer } = await handle(req);
      channel.post({ id: req.id, ok: true, result }, transfer);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      channel.post({ id: req.id, ok: false, error: { name: err.name, message: err.message } }, []);
    }
  });
});
