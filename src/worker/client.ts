/**
 * `createWorker()`: run a zoo model off the main thread, in a dedicated Web Worker (browsers)
 * or a Node `worker_threads` worker, behind a promise API.
 *
 * The worker script is `dist/simdnet.worker.js`, a self-contained classic-script bundle (tfjs-core,
 * cpu, webgl, simdnet with its wasm embedded): it needs no import maps, no `.wasm` next to it,
 * no SharedArrayBuffer and no COOP/COEP headers. By default it is found next to the library
 * bundle (`new URL('./simdnet.worker.js', import.meta.url)`, which bundlers also understand);
 * a cross-origin script (the bundles on a CDN) is fetched and started from a Blob URL. The
 * plain-Node CommonJS bundle (dist/simdnet.node.cjs) uses `dist/simdnet.worker.node.cjs`, built
 * with it by `npm run build:node`.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import type {
  InitResult, LoadResult, PredictResult, Request, Response, WorkerModelName,
} from './protocol';

export type { InitResult, LoadResult, PredictResult, WorkerModelName } from './protocol';
export { WORKER_MODELS } from './protocol';
export { clearWeightsCache } from './weights';

export interface WorkerOptions {
  /**
   * The worker script (URL or string, resolved against the page / the current directory).
   * Default: `simdnet.worker.js` next to the library bundle (`simdnet.worker.node.cjs` next to
   * the plain-Node bundle dist/simdnet.node.cjs; from source: in Node,
   * scripts/worker-from-source.mjs, which runs src/worker/worker.ts without a build; in a page,
   * the repository's dist/).
   */
  url?: string | URL;
  /**
   * Fetch the script and start the worker from a Blob URL. Browsers only. Default: when the
   * script is cross-origin (a CDN; `new Worker()` refuses those), which needs CORS on the script.
   */
  blob?: boolean;
  /** A worker you started yourself from the simdnet worker script (Web Worker or worker_threads.Worker). */
  worker?: Worker | NodeWorker;
  /** Backend candidates for `ready()` inside the worker, best first. Default `['simd', 'webgl', 'cpu']`. */
  prefer?: string[];
  /** Accept a half-float WebGL backend (see `ready()`). Default false. */
  allowHalfFloat?: boolean;
  /** Kernel module for the worker's `setWasmSource()`: bytes, or a compiled module (not recompiled). */
  wasm?: WebAssembly.Module | ArrayBuffer | Uint8Array;
}

export interface LoadOptions {
  /** Zoo model name, e.g. `'lenet5'` (input [N,28,28,1]) or `'resnet18'` (input [N,H,W,3]). */
  model: WorkerModelName;
  /**
   * A .safetensors file with PyTorch state-dict keys and layouts: a URL (relative URLs resolve
   * against the page, or in Node against the current directory; Node also takes file paths), or
   * its bytes (copied to the worker).
   */
  weights: string | URL | ArrayBuffer | Uint8Array;
  /** Cache the fetched file in IndexedDB, keyed by its absolute URL (cache-first; browsers only). */
  cache?: boolean;
  /** Factory options, e.g. `{ numClasses: 10 }` (default: inferred from the classifier weight). */
  options?: Record<string, unknown>;
}

export interface PredictOptions {
  /** Layout of `input`/`shape`: `'NHWC'` (default, what the zoo takes) or `'NCHW'` (PyTorch's). */
  layout?: 'NHWC' | 'NCHW';
  /**
   * Transfer `input`'s buffer to the worker (default true: no copy, but `input` is detached
   * afterwards). A view over part of a larger buffer is always copied.
   */
  transfer?: boolean;
}

interface Endpoint {
  post(msg: Request, transfer: Transferable[]): void;
  terminate(): Promise<void>;
}

type Pending = { resolve(v: unknown): void; reject(e: Error): void };

const isNode = () => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function nodeBuiltin<T>(id: string): T {
  const m = isNode() ? (process.getBuiltinModule?.(id) as T | undefined) : undefined;
  if (!m) throw new Error(`simdnet: ${id} is needed here (Node.js >= 20.16) but is unavailable`);
  return m;
}

/**
 * The default worker script: `simdnet.worker.js` next to this module (the library bundle in
 * dist/). In the plain-Node CommonJS bundle (dist/simdnet.node.cjs, built by esbuild, where
 * `import.meta.url` is empty): `simdnet.worker.node.cjs` next to it (`npm run build:node`, run by
 * `npm ci`). From source (src/worker/client.ts under tsx): in Node, scripts/worker-from-source.mjs,
 * which registers the TypeScript and tfjs module hooks in the worker thread (Node 20 does not
 * carry the main thread's hooks into workers) and imports src/worker/worker.ts, so no build is
 * needed; elsewhere (a dev server serving the sources to a page) the built
 * dist/simdnet.worker.js (`npm run build:bundle`).
 * @throws Error when the script cannot be located (the CommonJS bundle without its worker script).
 */
function defaultWorkerUrl(): URL {
  let here: string | undefined;
  try {
    here = import.meta.url;
  } catch {
    here = undefined;
  }
  if (typeof here === 'string' && here) {
    if (!here.endsWith('.ts')) return new URL('./simdnet.worker.js', here);
    return new URL(typeof Worker === 'undefined' && isNode() ? '../../scripts/worker-from-source.mjs' : '../../dist/simdnet.worker.js', here);
  }
  if (typeof __dirname === 'string' && isNode()) {  // the plain-Node CommonJS bundle
    const path = nodeBuiltin<typeof import('node:path')>('node:path').join(__dirname, 'simdnet.worker.node.cjs');
    if (!nodeBuiltin<typeof import('node:fs')>('node:fs').existsSync(path)) {
      throw new Error(`createWorker: the worker script ${path} is missing; build it with \`npm run build:node\` ` +
          '(run by npm ci / npm install), or pass `url`');
    }
    return nodeBuiltin<typeof import('node:url')>('node:url').pathToFileURL(path);
  }
  throw new Error('createWorker: cannot locate the default worker script here; pass `url` (dist/simdnet.worker.js)');
}

/** defaultWorkerUrl, or null where it throws (start() reports the error as a rejection). */
function defaultWorkerUrlOrNull(): URL | null {
  try {
    return defaultWorkerUrl();
  } catch {
    return null;
  }
}

/** Absolute URL string for a weights file or a worker script. */
function absoluteUrl(u: string | URL): string {
  if (u instanceof URL) return u.href;
  if (typeof location !== 'undefined' && typeof location.href === 'string') return new URL(u, location.href).href;
  if (/^[a-z][a-z0-9+.-]+:/i.test(u)) return new URL(u).href;  // already a URL (http:, file:, data:)
  const path = nodeBuiltin<typeof import('node:path')>('node:path');
  return nodeBuiltin<typeof import('node:url')>('node:url').pathToFileURL(path.resolve(u)).href;
}

/** absoluteUrl, or null where it cannot be made (reported by start() instead). */
function absoluteUrlOrNull(u: string | URL): string | null {
  try {
    return absoluteUrl(u);
  } catch {
    return null;
  }
}

/**
 * A zoo model running in a worker. Requests may overlap: the worker queues them and answers each
 * by id, in order. Every method rejects with the worker's error message (bad input shape, missing
 * weights keys, HTTP errors, backend failure); the worker stays usable after a failed request.
 * Create with {@link createWorker}; call {@link WorkerModel.dispose} when done (a Node worker
 * keeps the process alive until then).
 */
export class WorkerModel {
  /** Backend chosen in the worker and why others were skipped; rejects when none works. */
  readonly ready: Promise<InitResult>;
  /** The backend in use, once {@link ready} has resolved. */
  backend: string | null = null;
  /**
   * The URL of the script the worker was started from (null for a worker passed in as `worker`,
   * or when the default script cannot be located: then `ready` and every request reject).
   */
  readonly script: string | null;
  private readonly endpoint: Promise<Endpoint>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;
  private blobUrl: string | null = null;

  /** Use {@link createWorker}. */
  constructor(options: WorkerOptions = {}) {
    const url = options.worker !== undefined ? null : options.url ?? defaultWorkerUrlOrNull();
    this.script = url === null ? null : absoluteUrlOrNull(url);
    this.endpoint = this.start(options);
    this.endpoint.catch(e => this.fail(e as Error));
    const { prefer, allowHalfFloat, wasm } = options;
    this.ready = this.send<InitResult>({ type: 'init', id: 0, prefer, allowHalfFloat, wasm }, [])
      .then(r => {
        this.backend = r.backend;
        return r;
      });
    this.ready.catch(() => undefined);  // reported through load() / predict() / the caller's await
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Builds `model` in the worker and loads its weights (strict: every key, every shape).
   * Replaces the previously loaded model on success; a failed load leaves it in service.
   * @returns model name, backend, parameter count, whether the weights came from the cache, and
   *   the load time in ms.
   * @throws Error: backend selection failed (the reasons), unknown model, HTTP/network error,
   *   not a safetensors file, missing/unexpected keys or shape mismatches (StateDictError).
   */
  async load(opts: LoadOptions): Promise<LoadResult> {
    await this.ready;
    const weights = typeof opts.weights === 'string' || opts.weights instanceof URL ? absoluteUrl(opts.weights) : opts.weights;
    return this.send<LoadResult>({ type: 'load', id: 0, model: opts.model, weights, cache: opts.cache, options: opts.options }, []);
  }

  /**
   * Runs the loaded model on one batch.
   * @param input float32 values, row-major in `shape`'s order.
   * @param shape `[N, H, W, C]` (NHWC, default) or `[N, C, H, W]` with `{ layout: 'NCHW' }`;
   *   C and, for LeNets, H×W must match the model (lenet5: 28×28×1).
   * @returns `{ output, shape, backend, ms }`: the logits (e.g. [N, 10] for lenet5), the backend
   *   that ran them, and the time spent in the worker (upload, forward, download) in ms.
   * @throws Error `bad input shape …` (the worker's message), `no model loaded …`, or a backend error.
   */
  async predict(input: Float32Array, shape: number[], opts: PredictOptions = {}): Promise<PredictResult> {
    if (!(input instanceof Float32Array)) throw new TypeError('predict: input must be a Float32Array');
    const whole = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength && input.buffer instanceof ArrayBuffer;
    const data = opts.transfer !== false && whole ? input : input.slice();
    return this.send<PredictResult>(
        { type: 'predict', id: 0, input: data, shape: Array.from(shape), layout: opts.layout }, [data.buffer as ArrayBuffer]);
  }

  /**
   * Frees the model and its tensors in the worker, then terminates the worker. Requests still
   * queued are rejected. Idempotent; later calls to other methods reject.
   */
  async dispose(): Promise<void> {
    if (this.dead) return;
    try {
      await Promise.race([
        this.send({ type: 'dispose', id: 0 }, []),
        new Promise(resolve => setTimeout(resolve, 2000)),
      ]);
    } catch {
      // a worker that cannot free its tensors is terminated all the same
    }
    this.fail(new Error('WorkerModel disposed'));
    const ep = await this.endpoint.catch(() => null);
    await ep?.terminate();
    if (this.blobUrl) URL.revokeObjectURL(this.blobUrl);
  }

  private send<T>(msg: Request, transfer: Transferable[]): Promise<T> {
    if (this.dead) return Promise.reject(new Error(this.dead.message));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.endpoint.then(ep => ep.post({ ...msg, id }, transfer), () => undefined);
    });
  }

  private receive(res: Response): void {
    const p = this.pending.get(res.id);
    if (!p) return;
    this.pending.delete(res.id);
    if (res.ok) {
      p.resolve(res.result);
    } else {
      const e = new Error(res.error.message);
      e.name = res.error.name;
      p.reject(e);
    }
  }

  /** The worker is gone (crash, failed start, dispose): reject everything now and later. */
  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    for (const p of this.pending.values()) p.reject(new Error(e.message));
    this.pending.clear();
  }

  private async start(options: WorkerOptions): Promise<Endpoint> {
    const w = options.worker;
    if (w !== undefined) return 'on' in w ? this.wrapNode(w as NodeWorker) : this.wrapWeb(w as Worker, 'the given worker');
    const url = absoluteUrl(options.url ?? defaultWorkerUrl());
    if (typeof Worker !== 'undefined') {
      let src = url;
      const crossOrigin = typeof location !== 'undefined' && /^https?:/.test(url) && new URL(url).origin !== location.origin;
      if (options.blob ?? crossOrigin) {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`fetching the worker script ${url} failed: HTTP ${res.status}`);
        src = this.blobUrl = URL.createObjectURL(new Blob([await res.text()], { type: 'text/javascript' }));
      }
      return this.wrapWeb(new Worker(src), url);
    }
    const wt = nodeBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
    return this.wrapNode(new wt.Worker(new URL(url)));
  }

  private wrapWeb(w: Worker, what: string): Endpoint {
    w.addEventListener('message', e => this.receive(e.data as Response));
    w.addEventListener('error', e => {
      e.preventDefault?.();
      this.fail(new Error(e.message ? `worker error: ${e.message}` :
          `the worker failed to start from ${what} (missing script, or not the simdnet worker bundle?)`));
    });
    w.addEventListener('messageerror', () => this.fail(new Error('worker message could not be deserialized')));
    return {
      post: (m, t) => w.postMessage(m, t),
      terminate: async () => w.terminate(),
    };
  }

  private wrapNode(w: NodeWorker): Endpoint {
    w.on('message', (m: Response) => this.receive(m));
    w.on('error', (e: Error) => this.fail(new Error(`worker error: ${e.message}`)));
    w.on('exit', code => this.fail(new Error(`the worker exited (code ${code})`)));
    return {
      post: (m, t) => w.postMessage(m, t as Parameters<NodeWorker['postMessage']>[1]),
      terminate: async () => { await w.terminate(); },
    };
  }
}

/**
 * Starts a worker for zoo models; it picks its backend at once (`ready()` in the worker, with
 * `prefer` / `allowHalfFloat`).
 *
 * ```ts
 * const m = createWorker({ prefer: ['simd', 'webgl', 'cpu'] });
 * await m.load({ model: 'lenet5', weights: '/assets/lenet5-fashion-mnist.safetensors', cache: true });
 * const { output, shape, backend, ms } = await m.predict(x, [1, 28, 28, 1]);   // x: Float32Array
 * await m.dispose();
 * ```
 * Never throws synchronously; failures to start surface as rejections of `ready` and of every
 * request.
 */
export function createWorker(options: WorkerOptions = {}): WorkerModel {
  return new WorkerModel(options);
}
