/**
 * Opt-in worker threads for the `simd` backend: the large GEMM and convolution calls are split
 * over a pool of workers that share the backend's wasm memory.
 *
 * How: `enableThreads({ numThreads })` (before the backend is initialized) builds the
 * shared-memory variant of the kernel module (wasm_shared.ts), creates a shared
 * `WebAssembly.Memory`, instantiates the module on it for the backend (so tensors live in
 * shared memory) and starts numThreads − 1 workers (Node `worker_threads`, or Web Workers from a
 * Blob URL), each instantiating the same module on the same memory (threads_worker.ts). The
 * GEMM (gemm_impl.ts `gemm`) and the convolution (conv_impl.ts) glue then hand their call to
 * `BackendSimd.threads`: when the call is large (≥ `minFlops`, default 2 MFLOP) its output rows
 * are cut into numThreads ranges at multiples of the 4-row micro-tile (conv: output pixels, each
 * thread building its own indirection buffer in its own scratch block; GEMM: rows of A/C), or,
 * when there are too few rows to cut evenly (the 7×7 layers, small M), its output columns in
 * 8-column panels (each thread then streams only its share of the packed weights; a conv's one
 * indirection buffer is built first and shared read-only); the workers run theirs while the main thread runs the
 * first, and the main thread waits for them (Atomics.wait on Int32 fields of a slot per worker in
 * the shared memory; a browser main thread, which may not block, spins on Atomics.load). Every
 * output element is computed by the same micro-kernel with the same summation order as in one
 * thread, so results are bit-identical. Everything else (elementwise, pooling, small ops) runs
 * on the main thread as before.
 *
 * Requirements: `SharedArrayBuffer` (Node: always; browsers: a cross-origin isolated page, i.e.
 * served with COOP `same-origin` + COEP `require-corp`, `crossOriginIsolated === true`). Without
 * `enableThreads` nothing changes: the backend keeps its private, unshared memory.
 *
 * Mirrors the threading of XNNPACK (pthreadpool parallelize over output tiles) and
 * onnxruntime-web's wasm threads, on this library's JS-owned heap.
 */
import { engine, findBackendFactory } from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import { BackendSimd } from './backend_simd';
import type { EpiloguePlan } from './gemm_impl';
import { instantiate, kernelModuleBytes } from './wasm_loader';
import { toSharedMemoryModule } from './wasm_shared';
import { SLOT_CALLS, SLOT_HEADER_I32, WORKER_SOURCE } from './threads_worker';

/** Bytes of a worker's slot: header, error text, call list. */
const SLOT_BYTES = 32 * 1024;
/** Float64 entries available for one job's call list. */
const CALL_CAPACITY = (SLOT_BYTES - SLOT_CALLS) / 8;
/** Kernel exports a worker may call. */
const EXPORTS = ['gemm_f32', 'conv2d_indirection', 'conv2d_f32'] as const;
type ExportName = typeof EXPORTS[number];
/** Default threshold below which a call stays on one thread (2 MFLOP ≈ 0.1 ms). */
const DEFAULT_MIN_FLOPS = 2e6;
const START_TIMEOUT_MS = 30_000;

/** Options of `enableThreads`. */
export interface ThreadsOptions {
  /** Threads in all, the calling thread included (1–64). Default: the number of logical
   * CPUs (os.availableParallelism / navigator.hardwareConcurrency), at most 4. */
  numThreads?: number;
  /** Maximum size of the shared wasm memory in bytes (a multiple of 64 KiB; default 4 GiB, the
   * wasm32 limit). A shared memory must declare it up front; lower it where address space is
   * scarce (32-bit browsers). */
  maximumMemoryBytes?: number;
  /** Calls with fewer floating-point operations (2·M·N·K) than this stay on one thread. */
  minFlops?: number;
}

/** What `threadsInfo()` reports. */
export interface ThreadsInfo {
  /** SharedArrayBuffer is available here (Node, or a cross-origin isolated page). */
  supported: boolean;
  /** The simd backend (initialized or prepared) has a shared memory. */
  sharedMemory: boolean;
  /** Threads the large kernels are split over now (1 = single-threaded). */
  numThreads: number;
  /** Threads started (workers + the calling thread). */
  poolThreads: number;
  /** Whether the main thread blocks in Atomics.wait (Node, workers) or spins (browser main thread). */
  mainThreadBlocks: boolean;
}

interface Call { fn: ExportName; args: number[]; }

/** A worker as seen from the pool: Node worker_threads.Worker or a Web Worker. */
interface PoolWorker {
  post(msg: unknown): void;
  terminate(): void;
}

function isNode(): boolean {
  return typeof process === 'object' && process.versions?.node != null && typeof window === 'undefined';
}

/** True where SharedArrayBuffer and Atomics exist (Node; cross-origin isolated pages and workers). */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  return isNode() || g.crossOriginIsolated !== false;
}

function defaultThreadCount(): number {
  let n = 2;
  if (isNode()) {
    const os = process.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
    if (os !== undefined) n = os.availableParallelism?.() ?? os.cpus().length;
  } else if (typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0) {
    n = navigator.hardwareConcurrency;
  }
  return Math.max(1, Math.min(4, n));
}

function spawnWorker(onMessage: (m: { type: string; message?: string }) => void,
    onFailure: (message: string) => void): PoolWorker {
  if (isNode()) {
    const wt = process.getBuiltinModule?.('node:worker_threads') as typeof import('node:worker_threads') | undefined;
    if (wt === undefined) throw new Error('simdnet threads: node:worker_threads is unavailable (Node.js ≥ 20.16 is needed)');
    const w = new wt.Worker(WORKER_SOURCE, { eval: true });
    w.on('message', onMessage);
    w.on('error', (e: unknown) => onFailure(String((e as Error)?.message ?? e)));
    w.on('exit', code => onFailure(`worker exited (code ${code})`));
    w.unref(); // after the listeners (which ref the port): an idle pool never keeps the process alive
    return { post: m => w.postMessage(m), terminate: () => { w.removeAllListeners(); void w.terminate(); } };
  }
  if (typeof Worker === 'undefined') throw new Error('simdnet threads: this environment has no Worker');
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url);
  URL.revokeObjectURL(url);
  w.onmessage = (e: MessageEvent) => onMessage(e.data);
  w.onerror = e => { e.preventDefault?.(); onFailure(e.message || 'worker error'); };
  return { post: m => w.postMessage(m), terminate: () => w.terminate() };
}

/**
 * The workers of one backend and their slots in its shared memory. Jobs are posted with
 * `run`; a job's calls must not allocate (all buffers are carved out before posting).
 */
class WorkerPool {
  private broken: string | null = null;
  private readonly seqs: number[];
  private readonly blocks: boolean;

  private constructor(private readonly backend: BackendSimd, readonly workers: PoolWorker[],
      readonly slots: number) {
    this.seqs = workers.map(() => 0);
    // A browser main thread may not block: Atomics.wait throws there (checked before the value).
    const i32 = backend.heap.i32();
    let blocks = true;
    try { Atomics.wait(i32, (slots >>> 2) + 6, 1, 0); } catch { blocks = false; }
    this.blocks = blocks;
  }

  /** Starts `count` workers on `backend`'s shared memory; resolves when all are ready. */
  static async start(backend: BackendSimd, module: WebAssembly.Module, count: number): Promise<WorkerPool> {
    const slots = backend.heap.alloc(SLOT_BYTES * count);
    backend.heap.u8().fill(0, slots, slots + SLOT_BYTES * count);
    const workers: PoolWorker[] = [];
    let pool: WorkerPool | null = null;
    try {
      await new Promise<void>((resolve, reject) => {
        let ready = 0;
        const timer = setTimeout(() => reject(new Error(`simdnet threads: workers did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        const fail = (i: number) => (message: string) => {
          if (pool !== null) { pool.broken ??= `worker ${i + 1}: ${message}`; return; }
          clearTimeout(timer);
          reject(new Error(`simdnet threads: worker ${i + 1} failed to start: ${message}`));
        };
        for (let i = 0; i < count; i++) {
          const w = spawnWorker(m => {
            if (m?.type === 'ready' && ++ready === count) { clearTimeout(timer); resolve(); }
            else if (m?.type === 'error') fail(i)(m.message ?? 'unknown error');
          }, fail(i));
          workers.push(w);
          w.post({ type: 'init', module, memory: backend.heap.memory, names: EXPORTS, slot: slots + i * SLOT_BYTES });
        }
      });
    } catch (e) {
      for (const w of workers) w.terminate();
      backend.heap.release(slots);
      throw e;
    }
    pool = new WorkerPool(backend, workers, slots);
    return pool;
  }

  get mainThreadBlocks(): boolean { return this.blocks; }

  /**
   * Runs `jobs[i]` on worker i (i < workers.length; empty jobs are skipped) while the calling
   * thread runs `local`, and waits for all. Throws the first failure (a worker's with its
   * message), after every worker has finished.
   * @returns false, running nothing, when a job does not fit its slot's call list.
   */
  run(jobs: Call[][], local: () => void): boolean {
    if (this.broken !== null) throw new Error(`simdnet threads: the pool is broken (${this.broken}); call enableThreads() again`);
    const fnIndex = (f: ExportName) => EXPORTS.indexOf(f);
    for (const job of jobs) {
      let need = 0;
      for (const c of job) need += 2 + c.args.length;
      if (need > CALL_CAPACITY) return false;
    }
    const buffer = this.backend.heap.memory.buffer;
    const i32 = new Int32Array(buffer);
    const f64 = new Float64Array(buffer);
    const posted: number[] = [];
    for (let w = 0; w < jobs.length; w++) {
      const job = jobs[w];
      if (job.length === 0) continue;
      const slot = this.slots + w * SLOT_BYTES, S = slot >>> 2;
      let p = (slot + SLOT_CALLS) >>> 3;
      for (const c of job) {
        f64[p] = fnIndex(c.fn);
        f64[p + 1] = c.args.length;
        f64.set(c.args, p + 2);
        p += 2 + c.args.length;
      }
      i32[S + 2] = 0;
      i32[S + 3] = job.length;
      this.seqs[w] = (this.seqs[w] + 1) | 0;
      Atomics.store(i32, S, this.seqs[w]);
      Atomics.notify(i32, S, 1);
      posted.push(w);
    }
    let localError: unknown = null;
    try {
      local();
    } catch (e) {
      localError = e;
    }
    let workerError: string | null = null;
    for (const w of posted) {
      const S = (this.slots + w * SLOT_BYTES) >>> 2;
      const seq = this.seqs[w];
      for (;;) {
        const done = Atomics.load(i32, S + 1);
        if (done === seq) break;
        if (this.blocks) Atomics.wait(i32, S + 1, done);
      }
      if (i32[S + 2] !== 0 && workerError === null) {
        const at = this.slots + w * SLOT_BYTES + SLOT_HEADER_I32 * 4;
        const text = new Uint8Array(buffer, at, i32[S + 4]).slice(); // TextDecoder refuses shared views
        workerError = `simdnet threads: worker ${w + 1} failed: ${new TextDecoder().decode(text)}`;
      }
    }
    if (localError !== null) throw localError;
    if (workerError !== null) throw new Error(workerError);
    return true;
  }

  /** Asks every worker to leave its loop, terminates it and frees the slots. */
  close(): void {
    const i32 = this.backend.heap.i32();
    for (let w = 0; w < this.workers.length; w++) {
      const S = (this.slots + w * SLOT_BYTES) >>> 2;
      Atomics.store(i32, S + 5, 1);
      Atomics.store(i32, S, (this.seqs[w] + 1) | 0);
      Atomics.notify(i32, S);
      this.workers[w].terminate();
    }
    this.broken = 'closed';
    this.backend.heap.release(this.slots);
  }
}

/** Share of useful rows when m rows are cut in t ranges of multiples of 4 (the micro-tile). */
function rowEfficiency(m: number, t: number): number {
  return m / (Math.ceil(m / t / 4) * 4 * t);
}

/** Share of useful columns when n columns are cut in t ranges of 8-column panels. */
function columnEfficiency(n: number, t: number): number {
  return n / (Math.ceil(n / t / 8) * 8 * t);
}

/**
 * The threading state of one shared-memory `simd` backend (BackendSimd.threads): its pool,
 * how many threads the kernels use, and the split of a GEMM / convolution call. The hooks
 * return false (the caller then runs the call on one thread) when the call is small, the pool
 * has no workers, or the split does not fit.
 */
export class SimdThreads {
  private pool: WorkerPool | null = null;
  /** Threads the kernels use now (1 ≤ active ≤ pool size + 1). */
  active = 1;
  minFlops = DEFAULT_MIN_FLOPS;
  /** Calls split over threads so far (for tests and benchmarks). */
  splitCalls = 0;

  constructor(private readonly backend: BackendSimd, readonly module: WebAssembly.Module) {}

  /** Threads started, the calling one included. */
  get poolThreads(): number { return (this.pool?.workers.length ?? 0) + 1; }
  get mainThreadBlocks(): boolean { return this.pool?.mainThreadBlocks ?? true; }

  /** Replaces the pool by one of n − 1 workers (n = 1: no workers). */
  async resize(n: number): Promise<void> {
    this.close();
    if (n > 1) this.pool = await WorkerPool.start(this.backend, this.module, n - 1);
    this.active = n;
  }

  /** Stops the workers (idempotent); the backend goes on single-threaded. */
  close(): void {
    this.pool?.close();
    this.pool = null;
    this.active = 1;
  }

  private threads(flops: number): number {
    return this.pool === null || flops < this.minFlops ? 1 : Math.min(this.active, this.pool.workers.length + 1);
  }

  /** Runs calls[0] here and calls[1..] on the workers. */
  private dispatch(parts: Call[][]): boolean {
    const wasm = this.backend.wasm as unknown as Record<ExportName, (...a: number[]) => unknown>;
    const ran = this.pool!.run(parts.slice(1), () => {
      for (const c of parts[0]) wasm[c.fn](...c.args);
    });
    if (ran) this.splitCalls++;
    return ran;
  }

  /**
   * gemm_impl.ts `gemm` split over threads: C [m, n] = epilogue(A [m, k] · Bpacked), rows of
   * A/C in ranges of multiples of 4 (or, for m < 4·threads, 8-column panels of B/C).
   * Arguments as gemm(); lda/ldc in elements. Returns false when not split.
   */
  gemm(m: number, n: number, k: number, a: number, lda: number, w: number, params: number,
      plan: EpiloguePlan, c: number, ldc: number): boolean {
    const t = this.threads(2 * m * n * k);
    if (t < 2) return false;
    const np = Math.ceil(n / 8) * 8;
    const lo = Math.fround(plan.lo), hi = Math.fround(plan.hi);
    const parts: Call[][] = [];
    if (m >= 4 * t && rowEfficiency(m, t) + 0.05 >= columnEfficiency(n, t)) {
      const per = Math.ceil(m / t / 4) * 4;
      for (let r0 = 0; r0 < m; r0 += per) {
        const rows = Math.min(per, m - r0);
        parts.push([{ fn: 'gemm_f32', args: [rows, n, k, a + r0 * lda * 4, lda * 4, w, params, params + np * 4,
          c + r0 * ldc * 4, ldc * 4, plan.act, lo, hi] }]);
      }
    } else {
      const per = Math.ceil(n / t / 8) * 8;
      for (let n0 = 0; n0 < n; n0 += per) {
        const cols = Math.min(per, n - n0);
        parts.push([{ fn: 'gemm_f32', args: [m, cols, k, a, lda * 4, w + (n0 / 8) * k * 32, params + n0 * 4,
          params + (np + n0) * 4, c + n0 * 4, ldc * 4, plan.act, lo, hi] }]);
      }
    }
    return parts.length > 1 && this.dispatch(parts);
  }

  /**
   * conv_impl.ts's indirect convolution split over threads: output pixels [0, m) in ranges of
   * multiples of 4, each range in chunks of ≤ `chunk` pixels, each thread with its own
   * indirection buffer (the main thread's is `indirection`, the workers' are allocated here and
   * freed before returning). Other arguments as conv2d_indirection / conv2d_f32 there.
   * Returns false when not split.
   */
  conv2d(info: backend_util.Conv2DInfo, m: number, n: number, k: number, chunk: number,
      indirectionBytes: number, x: number, w: number, params: number, y: number, zeroRel: number,
      indirection: number, plan: EpiloguePlan): boolean {
    const t = this.threads(2 * m * n * k);
    if (t < 2) return false;
    const per = Math.ceil(m / t / 4) * 4;
    const step = Math.max(4, Math.floor(chunk / 4) * 4);
    const np = Math.ceil(n / 8) * 8;
    const lo = Math.fround(plan.lo), hi = Math.fround(plan.hi);
    const {
      inHeight, inWidth, inChannels: cin, outHeight, outWidth, filterHeight: kh, filterWidth: kw,
      strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, padInfo,
    } = info;
    const build = (m0: number, count: number, ind: number): Call => ({ fn: 'conv2d_indirection', args: [inHeight,
      inWidth, cin, outHeight, outWidth, kh, kw, sh, sw, dh, dw, padInfo.top, padInfo.left, m0, count, zeroRel, ind] });
    if (m <= chunk && n >= 8 * t && (m < 4 * t || columnEfficiency(n, t) > rowEfficiency(m, t) + 0.05)) {
      // Few pixels (the deep layers): one indirection buffer, built here, and Cout split in
      // 8-column panels, so that each thread streams only its part of the filter.
      const wasm = this.backend.wasm as unknown as Record<ExportName, (...a: number[]) => unknown>;
      const b = build(0, m, indirection);
      wasm[b.fn](...b.args);
      const cols = Math.ceil(n / t / 8) * 8;
      const parts: Call[][] = [];
      for (let n0 = 0; n0 < n; n0 += cols) {
        parts.push([{ fn: 'conv2d_f32', args: [m, Math.min(cols, n - n0), indirection, x, w + (n0 / 8) * k * 32, k * 32,
          params + n0 * 4, params + (np + n0) * 4, y + n0 * 4, n * 4, plan.act, lo, hi] }]);
      }
      return parts.length > 1 && this.dispatch(parts);
    }
    if (m < 8 * t) return false;
    const buffers: number[] = [];
    try {
      const parts: Call[][] = [];
      for (let s = 0; s < m; s += per) {
        const e = Math.min(m, s + per);
        let ind = indirection;
        if (s > 0) {
          ind = this.backend.scratch(indirectionBytes);
          buffers.push(ind);
        }
        const calls: Call[] = [];
        for (let m0 = s; m0 < e; m0 += step) {
          const count = Math.min(step, e - m0);
          calls.push(build(m0, count, ind));
          calls.push({ fn: 'conv2d_f32', args: [count, n, ind, x, w, k * 32, params, params + np * 4,
            y + m0 * n * 4, n * 4, plan.act, lo, hi] });
        }
        parts.push(calls);
      }
      return parts.length > 1 && this.dispatch(parts);
    } finally {
      for (const b of buffers) this.backend.freeScratch(b);
    }
  }

  /** Test hook: runs `calls` on worker `index` (≥ 1) and nothing here. */
  runOnWorker(index: number, fn: ExportName, args: number[]): void {
    if (this.pool === null || index < 1 || index > this.pool.workers.length) throw new Error(`simdnet threads: no worker ${index}`);
    const jobs: Call[][] = this.pool.workers.map(() => []);
    jobs[index - 1] = [{ fn, args }];
    this.pool.run(jobs, () => undefined);
  }
}

// ---- public API ------------------------------------------------------------------------------

/** A shared-memory backend made by enableThreads before 'simd' was initialized; the backend
 * factory (index.ts) takes it. */
let prepared: BackendSimd | null = null;

/** Called by the backend factory: the prepared threaded backend, once. */
export function takePreparedBackend(): BackendSimd | null {
  const b = prepared;
  prepared = null;
  return b;
}

/** The initialized 'simd' backend, without initializing it. */
function initializedSimd(): BackendSimd | null {
  const registry = (engine() as unknown as { registry: Record<string, unknown> }).registry;
  const b = registry['simd'];
  return b instanceof BackendSimd ? b : null;
}

function currentThreads(): SimdThreads | null {
  return (initializedSimd() ?? prepared)?.threads ?? null;
}

async function makeSharedBackend(maxBytes: number): Promise<BackendSimd> {
  // The module declares the wasm32 maximum; the memory given to it may declare less.
  const module = await WebAssembly.compile(toSharedMemoryModule(await kernelModuleBytes(), 65536) as BufferSource);
  let pages = Math.floor(maxBytes / 65536);
  let memory: WebAssembly.Memory | null = null;
  let lastError: unknown = null;
  // Where address space is short (32-bit browsers) a 4 GiB reservation can fail: try less.
  while (memory === null && pages >= 256) {
    try {
      memory = new WebAssembly.Memory({ initial: 1, maximum: pages, shared: true } as WebAssembly.MemoryDescriptor);
    } catch (e) {
      lastError = e;
      pages = Math.floor(pages / 4);
    }
  }
  if (memory === null) throw new Error(`simdnet threads: cannot create a shared wasm memory: ${(lastError as Error)?.message}`);
  const backend = new BackendSimd(instantiate(module, memory));
  backend.threads = new SimdThreads(backend, module);
  return backend;
}

/**
 * Turns on worker threads for the `simd` backend: the large GEMM/convolution calls are split
 * over `numThreads` threads (see the file comment). Call it before the backend is initialized
 * (before `tf.setBackend('simd')`, `ready()` or the first op); called again later it only
 * changes the number of threads (restarting the pool). Results are bit-identical to one thread.
 *
 * To switch a backend that is already initialized single-threaded, remove it first (its tensors
 * are lost): `const f = tf.findBackendFactory('simd'); tf.removeBackend('simd');
 * tf.registerBackend('simd', f, 3); await enableThreads(...); await tf.setBackend('simd')`.
 *
 * @param options.numThreads threads in all, 1–64 (default: logical CPUs, at most 4).
 * @param options.maximumMemoryBytes maximum shared memory (default 4 GiB).
 * @param options.minFlops calls below this stay single-threaded (default 2e6).
 * @returns threadsInfo() after the change.
 * @throws Error when SharedArrayBuffer is unavailable (a browser page that is not cross-origin
 *   isolated), the 'simd' backend is already initialized on an unshared memory, the options
 *   are invalid, or a worker fails to start.
 */
export async function enableThreads(options: ThreadsOptions = {}): Promise<ThreadsInfo> {
  const n = options.numThreads ?? defaultThreadCount();
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`enableThreads: numThreads must be an integer in 1..64, got ${n}`);
  const maxBytes = options.maximumMemoryBytes ?? 4 * 1024 ** 3;
  if (!(maxBytes >= 16 * 1024 ** 2 && maxBytes <= 4 * 1024 ** 3)) {
    throw new Error(`enableThreads: maximumMemoryBytes must be in 16 MiB..4 GiB, got ${maxBytes}`);
  }
  if (options.minFlops !== undefined && !(options.minFlops >= 0)) {
    throw new Error(`enableThreads: minFlops must be ≥ 0, got ${options.minFlops}`);
  }
  if (!threadsSupported()) {
    throw new Error('enableThreads: SharedArrayBuffer is unavailable here; in a browser the page must be cross-origin ' +
        "isolated (headers Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)");
  }
  let backend = initializedSimd() ?? prepared;
  if (backend !== null && backend.threads === null) {
    throw new Error("enableThreads: the 'simd' backend is already initialized on an unshared memory; call " +
        "enableThreads() before tf.setBackend('simd') / ready() / the first op, or remove the backend first " +
        "(tf.removeBackend('simd') and register it again: see the enableThreads docs)");
  }
  if (backend === null) {
    if (findBackendFactory('simd') == null) throw new Error("enableThreads: backend 'simd' is not registered (import simdnet first)");
    backend = prepared = await makeSharedBackend(maxBytes);
  }
  const threads = backend.threads!;
  if (options.minFlops !== undefined) threads.minFlops = options.minFlops;
  await threads.resize(n);
  return threadsInfo();
}

/**
 * Sets how many of the started threads the kernels use (1 = single-threaded on the shared
 * memory, for A/B timing; up to the count given to enableThreads). Synchronous.
 * @throws Error when threads are not enabled or n is out of range.
 */
export function setThreads(n: number): void {
  const t = currentThreads();
  if (t === null) throw new Error('setThreads: threads are not enabled (await enableThreads({ numThreads }) first)');
  if (!Number.isInteger(n) || n < 1 || n > t.poolThreads) {
    throw new Error(`setThreads: n must be an integer in 1..${t.poolThreads} (the threads started by enableThreads), got ${n}`);
  }
  t.active = n;
}

/**
 * Stops the worker pool. An initialized backend keeps its (shared) memory and tensors and goes
 * on single-threaded; a prepared, not yet initialized one is dropped (the backend then starts
 * as usual, unshared). Safe to call when threads are off.
 */
export async function disableThreads(): Promise<void> {
  const live = initializedSimd();
  if (live?.threads != null) {
    live.threads.close();
    return;
  }
  if (prepared !== null) {
    prepared.threads?.close();
    prepared.dispose();
    prepared = null;
  }
}

/** The threading state of the `simd` backend (see ThreadsInfo). Never throws. */
export function threadsInfo(): ThreadsInfo {
  const t = currentThreads();
  return {
    supported: threadsSupported(),
    sharedMemory: t !== null,
    numThreads: t === null ? 1 : Math.min(t.active, t.poolThreads),
    poolThreads: t?.poolThreads ?? 1,
    mainThreadBlocks: t?.mainThreadBlocks ?? true,
  };
}
