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
 * `BackendSimd.threads`: when the call is large (≥ `minFlops`, default 2 MFLOP) it is cut into
 * tasks of decreasing size (guided scheduling: large first, short last, about 4–6 per thread,
 * see guidedRanges): ranges of output rows in whole 4-row micro-tiles (conv: output pixels,
 * a task building its indirection records in the running thread's own scratch buffer, then
 * running them; GEMM: rows of A/C), or, when there are too few rows to cut evenly (the 7×7
 * layers, small M), ranges of 8-column panels of the output (each thread then streams only its
 * share of the packed weights; a conv's one indirection buffer is built first and shared
 * read-only). The calling thread and the workers claim tasks with Atomics.add on a shared
 * counter until none is left (dynamic scheduling, as pthreadpool's work stealing: a thread the
 * OS preempts takes fewer), then the calling thread waits for the workers (Atomics.wait on an
 * Int32 field of each worker's slot in the shared memory, after polling it for `spinMicros`; a
 * browser main thread, which may not block, polls until the end). A worker, after a job, polls
 * for the next one for `spinMicros` (default 200 µs) before it blocks: inside a forward pass the
 * next split call usually comes sooner than a blocked thread wakes. Every output element is computed by the same micro-kernel with
 * the same summation order as in one thread, so results are bit-identical. Large elementwise
 * calls (the unary float kernels, and the broadcasting binary ones: Add, Sub, Mul, RealDiv,
 * Maximum, Minimum, SquaredDifference; ≥ minFlops/16 elements), MaxPool, Conv2DBackpropInput
 * (conv2dTranspose, the input gradient of conv2d) and Conv2DBackpropFilter (the filter gradient)
 * are split too, in ranges of elements / output rows / filter-gradient rows. Everything else
 * (other pooling, resize, reductions, small ops) runs on the calling thread as before.
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
import {
  JOB_BYTES, JOB_CALL_CAPACITY, JOB_CALLS, JOB_TABLE, MAX_TASKS, SLOT_BYTES, SLOT_HEADER_I32, WORKER_SOURCE,
} from './threads_worker';

/** Kernel exports a worker may call. */
const EXPORTS = ['gemm_f32', 'conv2d_indirection', 'conv2d_f32', 'conv2d_direct_rows_f32', 'maxPool2d',
  'conv2dBackpropInputNhwc', 'conv2dBackpropFilterNhwc',
  'addNd', 'subNd', 'mulNd', 'divNd', 'maxNd', 'minNd', 'sqdiffNd',
  'relu', 'relu6', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'neg', 'step', 'sigmoid', 'tanh', 'abs', 'leakyRelu'] as const;
/** Elementwise and pooling calls are memory-bound: one element counts as this many operations
 * against minFlops (2 MFLOP → 125,000 elements, 0.5 MB of float32 output). */
const FLOPS_PER_ELEMENT = 16;
export type ExportName = typeof EXPORTS[number];
/** Default threshold below which a call stays on one thread (2 MFLOP ≈ 0.1 ms). */
const DEFAULT_MIN_FLOPS = 2e6;
const START_TIMEOUT_MS = 30_000;
/** Default polling before a thread blocks (see WorkerPool.spinMicros). */
const DEFAULT_SPIN_MICROS = 200;

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
  /** Microseconds a worker polls for the next call before it blocks (default 200): a forward
   * pass's next split call usually comes sooner than a blocked thread wakes. 0 never busy-waits
   * (saves CPU time, e.g. on battery, at some speed). */
  spinMicros?: number;
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

/** One kernel call; `scratchArg`: index of the argument that gets the running thread's scratch block. */
interface Call { fn: ExportName; args: number[]; scratchArg?: number; }

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
  // The script loads asynchronously: the URL is revoked once the worker has answered.
  const revoke = () => URL.revokeObjectURL(url);
  w.onmessage = (e: MessageEvent) => { revoke(); onMessage(e.data); };
  w.onerror = e => { revoke(); e.preventDefault?.(); onFailure(e.message || 'worker error'); };
  return { post: m => w.postMessage(m), terminate: () => { revoke(); w.terminate(); } };
}

/**
 * The workers of one backend, their slots and the job area in its shared memory (layout in
 * threads_worker.ts). Jobs are posted with `run`; a job's calls must not allocate (all buffers
 * are carved out before posting).
 */
class WorkerPool {
  private broken: string | null = null;
  /** Microseconds a thread polls before blocking in Atomics.wait (workers after a job, the
   * calling thread while a worker finishes). */
  spinMicros = DEFAULT_SPIN_MICROS;
  /** Wall milliseconds the calling thread spent waiting for workers after its last task. */
  waitMs = 0;
  private readonly seqs: number[];
  private readonly blocks: boolean;
  private readonly job: number;

  private constructor(private readonly backend: BackendSimd, readonly workers: PoolWorker[],
      readonly slots: number) {
    this.seqs = workers.map(() => 0);
    this.job = slots + SLOT_BYTES * workers.length;
    // A browser main thread may not block: Atomics.wait throws there (checked before the value).
    const i32 = backend.heap.i32();
    let blocks = true;
    try { Atomics.wait(i32, (slots >>> 2) + 7, 1, 0); } catch { blocks = false; }
    this.blocks = blocks;
  }

  /** Starts `count` workers on `backend`'s shared memory; resolves when all are ready. */
  static async start(backend: BackendSimd, module: WebAssembly.Module, count: number): Promise<WorkerPool> {
    const bytes = SLOT_BYTES * count + JOB_BYTES;
    const slots = backend.heap.alloc(bytes);
    backend.heap.u8().fill(0, slots, slots + bytes);
    const job = slots + SLOT_BYTES * count;
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
          w.post({ type: 'init', module, memory: backend.heap.memory, names: EXPORTS, slot: slots + i * SLOT_BYTES, job });
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

  /** Tasks each worker has run so far. */
  workerTasks(): number[] {
    const i32 = this.backend.heap.i32();
    return this.workers.map((_, w) => Atomics.load(i32, ((this.slots + w * SLOT_BYTES) >>> 2) + 3));
  }

  /**
   * Runs `tasks` on the calling thread and the first `helpers` workers, each thread claiming the
   * next task until none is left; `scratch[i]` is thread i's scratch block (0 = the calling one)
   * for calls with a `scratchArg`. Waits for all; throws the first failure (a worker's with its
   * message) after every thread has finished. `local` false: the calling thread only waits (tests).
   * @returns false, running nothing, when the tasks do not fit the job area.
   */
  run(tasks: Call[][], helpers: number, scratch: number[], local = true): boolean {
    if (this.broken !== null) throw new Error(`simdnet threads: the pool is broken (${this.broken}); call enableThreads() again`);
    let need = 0;
    for (const task of tasks) for (const c of task) need += 3 + c.args.length;
    if (tasks.length > MAX_TASKS || need > JOB_CALL_CAPACITY) return false;
    helpers = Math.min(helpers, this.workers.length);
    const buffer = this.backend.heap.memory.buffer;
    const i32 = new Int32Array(buffer);
    const f64 = new Float64Array(buffer);
    const J = this.job >>> 2, calls = (this.job + JOB_CALLS) >>> 3;
    let p = 0;
    for (let t = 0; t < tasks.length; t++) {
      i32[J + JOB_TABLE + t] = p;
      for (const c of tasks[t]) {
        f64[calls + p] = EXPORTS.indexOf(c.fn);
        f64[calls + p + 1] = c.args.length;
        f64[calls + p + 2] = c.scratchArg ?? -1;
        f64.set(c.args, calls + p + 3);
        p += 3 + c.args.length;
      }
    }
    i32[J + JOB_TABLE + tasks.length] = p;
    i32[J] = tasks.length;
    Atomics.store(i32, J + 1, 0);
    for (let w = 0; w < helpers; w++) {
      const S = (this.slots + w * SLOT_BYTES) >>> 2;
      i32[S + 2] = 0;
      i32[S + 6] = scratch[w + 1] ?? 0;
      i32[S + 7] = this.spinMicros;
      this.seqs[w] = (this.seqs[w] + 1) | 0;
      Atomics.store(i32, S, this.seqs[w]);
      Atomics.notify(i32, S, 1);
    }
    let localError: unknown = null;
    try {
      const wasm = this.backend.wasm as unknown as Record<ExportName, (...a: number[]) => unknown>;
      while (local) {
        const t = Atomics.add(i32, J + 1, 1);
        if (t >= tasks.length) break;
        for (const c of tasks[t]) {
          if (c.scratchArg === undefined) wasm[c.fn](...c.args);
          else {
            const args = c.args.slice();
            args[c.scratchArg] = scratch[0];
            wasm[c.fn](...args);
          }
        }
      }
    } catch (e) {
      localError = e;
      Atomics.store(i32, J + 1, tasks.length); // let the workers stop early
    }
    const tWait = performance.now();
    let workerError: string | null = null;
    for (let w = 0; w < helpers; w++) {
      const S = (this.slots + w * SLOT_BYTES) >>> 2;
      const seq = this.seqs[w];
      // The worker is running its last task (the tasks are claimed dynamically): poll a little
      // before blocking, as waking from Atomics.wait costs tens of microseconds.
      let until = -1;
      for (let k = 1; ; k++) {
        const done = Atomics.load(i32, S + 1);
        if (done === seq) break;
        if (!this.blocks || (k & 63) !== 0) continue;
        const now = performance.now();
        if (until < 0) until = now + this.spinMicros / 1000;
        else if (now > until) Atomics.wait(i32, S + 1, done);
      }
      if (i32[S + 2] !== 0 && workerError === null) {
        const at = this.slots + w * SLOT_BYTES + SLOT_HEADER_I32 * 4;
        const text = new Uint8Array(buffer, at, i32[S + 4]).slice(); // TextDecoder refuses shared views
        workerError = `simdnet threads: worker ${w + 1} failed: ${new TextDecoder().decode(text)}`;
      }
    }
    this.waitMs += performance.now() - tWait;
    if (localError !== null) throw localError;
    if (workerError !== null) throw new Error(workerError);
    return true;
  }

  /** Asks every worker to leave its loop, terminates it and frees the slots and job area. */
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

/**
 * Cuts `total` items into ranges of whole `unit`s for the dynamic scheduling of `run`, in
 * decreasing sizes (guided scheduling, as OpenMP's schedule(guided)): each range is 1/(2t) of
 * what is left, at least `minUnits` units and at most `maxUnits`. The first ranges are large
 * (few tasks, little per-task overhead); the last are short, and a thread that finishes its
 * last range waits for the others at most about one short range (a preempted or late-waking
 * worker costs that much instead of a whole 1/(4t) share). Returns [start, count] pairs.
 */
export function guidedRanges(total: number, unit: number, t: number, minUnits: number,
    maxUnits = Infinity): Array<[number, number]> {
  const units = Math.ceil(total / unit);
  const out: Array<[number, number]> = [];
  for (let u0 = 0; u0 < units;) {
    const left = units - u0;
    const n = Math.min(left, maxUnits, Math.max(minUnits, Math.ceil(left / (2 * t))));
    out.push([u0 * unit, Math.min(total, (u0 + n) * unit) - u0 * unit]);
    u0 += n;
  }
  return out;
}

/** Smallest range of a guided split: 1/(TAIL_PER_THREAD·t) of the work, one unit at least. */
const TAIL_PER_THREAD = 8;
function tailUnits(total: number, unit: number, t: number): number {
  return Math.max(1, Math.ceil(total / unit / (TAIL_PER_THREAD * t)));
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
  /** Tasks of those calls. */
  splitTasks = 0;
  /** The same over every threaded backend of this process. */
  static totalSplitCalls = 0;

  constructor(private readonly backend: BackendSimd, readonly module: WebAssembly.Module) {}

  /** Tasks run by each worker of the current pool (empty without workers): a check that the
   * workers take part. */
  workerTasks(): number[] { return this.pool?.workerTasks() ?? []; }

  /** Microseconds a thread polls for work (a worker after a job) or for a worker's end (the
   * calling thread) before it blocks in Atomics.wait; 0: block at once (no busy-waiting). */
  get spinMicros(): number { return this.spin; }
  set spinMicros(us: number) {
    if (!(Number.isInteger(us) && us >= 0 && us <= 1e6)) throw new Error(`spinMicros must be an integer in 0..1e6, got ${us}`);
    this.spin = us;
    if (this.pool !== null) this.pool.spinMicros = us;
  }
  private spin = DEFAULT_SPIN_MICROS;

  /** Threads started, the calling one included. */
  get poolThreads(): number { return (this.pool?.workers.length ?? 0) + 1; }
  get mainThreadBlocks(): boolean { return this.pool?.mainThreadBlocks ?? true; }

  /** Replaces the pool by one of n − 1 workers (n = 1: no workers). */
  async resize(n: number): Promise<void> {
    this.close();
    if (n > 1) {
      this.pool = await WorkerPool.start(this.backend, this.module, n - 1);
      this.pool.spinMicros = this.spin;
    }
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

  /** Benchmark hook (bench/threads_share.ts): split calls run all their tasks on the calling
   * thread, so that `splitMs` measures the one-thread time of the parallel part. */
  runSplitsLocally = false;
  /** Wall milliseconds spent in split calls (dispatch to the end of the last task). */
  splitMs = 0;
  /** Of splitMs, the calling thread's wait for workers still running their last task (the
   * imbalance at the end of a split; benchmarks). */
  get waitMs(): number { return this.pool?.waitMs ?? 0; }
  set waitMs(ms: number) { if (this.pool !== null) this.pool.waitMs = ms; }

  /** Runs `tasks` on t threads (this one and t − 1 workers); scratch[i] = thread i's block. */
  private dispatch(tasks: Call[][], t: number, scratch: number[] = []): boolean {
    const t0 = performance.now();
    const ran = this.pool!.run(tasks, this.runSplitsLocally ? 0 : t - 1, scratch);
    this.splitMs += performance.now() - t0;
    if (ran) { this.splitCalls++; this.splitTasks += tasks.length; SimdThreads.totalSplitCalls++; }
    return ran;
  }

  /**
   * gemm_impl.ts `gemm` split over threads: C [m, n] = epilogue(A [m, k] · Bpacked), tasks of
   * rows of A/C in multiples of 4, or of 8-column panels of B/C when m is too small to cut evenly.
   * Arguments as gemm(); lda/ldc in elements. Returns false when not split.
   */
  gemm(m: number, n: number, k: number, a: number, lda: number, w: number, params: number,
      plan: EpiloguePlan, c: number, ldc: number): boolean {
    const t = this.threads(2 * m * n * k);
    if (t < 2) return false;
    const np = Math.ceil(n / 8) * 8;
    const lo = Math.fround(plan.lo), hi = Math.fround(plan.hi);
    const tasks: Call[][] = [];
    if (m >= 4 * t && rowEfficiency(m, t) + 0.05 >= columnEfficiency(n, t)) {
      // Ranges of rows in whole 4-row micro-tiles (each task streams all of B: a short tail only).
      for (const [r0, rows] of guidedRanges(m, 4, t, tailUnits(m, 4, t))) {
        tasks.push([{ fn: 'gemm_f32', args: [rows, n, k, a + r0 * lda * 4, lda * 4, w, params, params + np * 4,
          c + r0 * ldc * 4, ldc * 4, plan.act, lo, hi] }]);
      }
    } else {
      // Ranges of 8-column panels: each task streams only its own part of B.
      for (const [n0, cols] of guidedRanges(n, 8, t, tailUnits(n, 8, 2 * t))) {
        tasks.push([{ fn: 'gemm_f32', args: [m, cols, k, a, lda * 4, w + (n0 / 8) * k * 32, params + n0 * 4,
          params + (np + n0) * 4, c + n0 * 4, ldc * 4, plan.act, lo, hi] }]);
      }
    }
    return tasks.length > 1 && this.dispatch(tasks, t);
  }

  /**
   * conv_impl.ts's indirect convolution split over threads: tasks of output pixels in multiples
   * of 4 (≤ `chunk` pixels each: build the task's indirection records in the running thread's
   * own buffer, then run them; the calling thread's buffer is `indirection`, the workers' are
   * allocated here and freed before returning), or, for few pixels, one indirection buffer built
   * here and tasks of 8-column panels of Cout. Other arguments as conv2d_indirection /
   * conv2d_f32 in conv_impl.ts. Returns false when not split.
   */
  conv2d(info: backend_util.Conv2DInfo, m: number, n: number, k: number, chunk: number,
      indirectionBytes: number, x: number, w: number, params: number, y: number, zeroRel: number,
      indirection: number, plan: EpiloguePlan): boolean {
    const t = this.threads(2 * m * n * k);
    if (t < 2) return false;
    const np = Math.ceil(n / 8) * 8;
    const lo = Math.fround(plan.lo), hi = Math.fround(plan.hi);
    const {
      inHeight, inWidth, inChannels: cin, outHeight, outWidth, filterHeight: kh, filterWidth: kw,
      strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, padInfo,
    } = info;
    const build = (m0: number, count: number, ind: number): Call => ({ fn: 'conv2d_indirection', args: [inHeight,
      inWidth, cin, outHeight, outWidth, kh, kw, sh, sw, dh, dw, padInfo.top, padInfo.left, m0, count, zeroRel, ind],
      scratchArg: 16 });
    const run = (count: number, n0: number, cols: number, m0: number, ind: number): Call => ({ fn: 'conv2d_f32',
      args: [count, cols, ind, x, w + (n0 / 8) * k * 32, k * 32, params + n0 * 4, params + (np + n0) * 4,
        y + (m0 * n + n0) * 4, n * 4, plan.act, lo, hi] });
    if (m <= chunk && n >= 8 * t && (m < 4 * t || columnEfficiency(n, t) > rowEfficiency(m, t) + 0.05)) {
      // Few pixels (the deep layers): one indirection buffer, built here, and Cout split in
      // 8-column panels, so that each thread streams only its part of the filter.
      const b = build(0, m, indirection);
      (this.backend.wasm as unknown as Record<ExportName, (...a: number[]) => unknown>)[b.fn](...b.args);
      const tasks: Call[][] = [];
      for (const [n0, cols] of guidedRanges(n, 8, t, tailUnits(n, 8, 2 * t))) tasks.push([run(m, n0, cols, 0, indirection)]);
      return tasks.length > 1 && this.dispatch(tasks, t);
    }
    if (m < 8 * t) return false;
    // Tasks of whole 4-pixel tiles, at most one indirection chunk each: every tile holds the
    // same pixels as in one thread, so the results are bit-identical.
    const maxTiles = Math.max(1, Math.floor(chunk / 4));
    const tasks: Call[][] = [];
    for (const [m0, count] of guidedRanges(m, 4, t, tailUnits(m, 4, t), maxTiles)) {
      const b = build(m0, count, 0), r = run(count, 0, n, m0, 0);
      r.scratchArg = 2;
      tasks.push([b, r]);
    }
    const scratch = [indirection];
    try {
      for (let i = 1; i < t; i++) scratch.push(this.backend.scratch(indirectionBytes));
      return tasks.length > 1 && this.dispatch(tasks, t, scratch);
    } finally {
      for (let i = 1; i < scratch.length; i++) this.backend.freeScratch(scratch[i]);
    }
  }

  /**
   * conv_impl.ts's direct small-Cin convolution (assembly/conv.ts conv2d_direct_rows_f32) split
   * over threads in ranges of output rows (r = b·outH + oy); every output value is computed as in
   * one call, so results are bit-identical. `args` are conv2d_direct_f32's arguments after
   * `batch`, as conv_impl passes them. Returns false when not split (too little work or rows).
   */
  conv2dDirect(rows: number, flops: number, args: number[]): boolean {
    const t = this.threads(flops);
    if (t < 2 || rows < 2 * t) return false;
    const tasks: Call[][] = [];
    for (const [r0, count] of guidedRanges(rows, 1, t, tailUnits(rows, 1, t))) {
      tasks.push([{ fn: 'conv2d_direct_rows_f32', args: [...args, r0, r0 + count] }]);
    }
    return tasks.length > 1 && this.dispatch(tasks, t);
  }

  /**
   * A unary elementwise export `fn(x, y, n, ...)` (assembly/elementwise.ts) split over threads
   * in ranges of whole 16-element blocks: `args(start, count)` gives the call's arguments for
   * elements [start, start + count). Each element is computed by the same code as in one call
   * (the vector/tail partition only moves at the very end), so results are bit-identical.
   * Returns false when not split (n too small for the threshold).
   */
  elementwise(fn: ExportName, n: number, args: (start: number, count: number) => number[]): boolean {
    const t = this.threads(FLOPS_PER_ELEMENT * n);
    if (t < 2) return false;
    const tasks: Call[][] = [];
    for (const [s0, count] of guidedRanges(n, 16, t, tailUnits(n, 16, t))) tasks.push([{ fn, args: args(s0, count) }]);
    return tasks.length > 1 && this.dispatch(tasks, t);
  }

  /**
   * A broadcasting binary export `fn(a, b, y, rank, meta)` (assembly/elementwise.ts binaryNd) over
   * a collapsed plan (elementwise_impl.ts broadcastPlan) split over threads along the plan's first
   * dim (rank 1: ranges of 16 elements; else ranges of its rows), each task with its own meta
   * block (the kernel keeps its odometer there). Bit-identical to one call. Returns false when
   * not split.
   */
  binary(fn: ExportName, plan: { shape: number[]; aStrides: number[]; bStrides: number[] }, a: number, b: number,
      y: number): boolean {
    const { shape, aStrides, bStrides } = plan;
    const rank = shape.length;
    const n = shape.reduce((p, q) => p * q, 1);
    const t = this.threads(FLOPS_PER_ELEMENT * n);
    if (t < 2) return false;
    const inner = n / shape[0], unit = rank === 1 ? 16 : 1;
    const ranges = guidedRanges(shape[0], unit, t, tailUnits(shape[0], unit, t));
    if (ranges.length < 2) return false;
    const metaBytes = 16 * rank;
    const meta = this.backend.scratch(metaBytes * ranges.length);
    try {
      const m = new Int32Array(this.backend.heap.memory.buffer, meta, 4 * rank * ranges.length);
      const tasks: Call[][] = ranges.map(([s0, count], i) => {
        m.set(shape, 4 * rank * i);
        m[4 * rank * i] = count;
        m.set(aStrides, 4 * rank * i + rank);
        m.set(bStrides, 4 * rank * i + 2 * rank);
        return [{ fn, args: [a + 4 * s0 * aStrides[0], b + 4 * s0 * bStrides[0], y + 4 * s0 * inner, rank,
          meta + metaBytes * i] }];
      });
      return this.dispatch(tasks, t);
    } finally {
      this.backend.freeScratch(meta);
    }
  }

  /**
   * assembly/pool.ts `maxPool2d` split over threads in ranges of output rows of each image: a
   * range [oh0, oh0 + count) of image b is the same call on image b alone with outH = count and
   * padTop − oh0·sH (its windows start oh0·sH rows further down). `args` are maxPool2d's
   * arguments. Bit-identical to one call. Returns false when not split.
   */
  maxPool2d(args: number[]): boolean {
    const [x, y, batch, inH, inW, C, outH, outW, fH, fW, sH, sW, dH, dW, padTop, padLeft] = args;
    const t = this.threads(FLOPS_PER_ELEMENT * batch * outH * outW * C);
    if (t < 2 || batch * outH < 2 * t) return false;
    const inImage = 4 * inH * inW * C, outImage = 4 * outH * outW * C;
    const tasks: Call[][] = [];
    if (batch >= 2 * t) {
      // Ranges of whole images.
      for (const [b0, count] of guidedRanges(batch, 1, t, tailUnits(batch, 1, t))) {
        tasks.push([{ fn: 'maxPool2d', args: [x + b0 * inImage, y + b0 * outImage, count, ...args.slice(3)] }]);
      }
    } else {
      for (let b = 0; b < batch; b++) {
        for (const [oh0, count] of guidedRanges(outH, 1, Math.ceil(t / batch), tailUnits(outH, 1, Math.ceil(t / batch)))) {
          tasks.push([{ fn: 'maxPool2d', args: [x + b * inImage, y + b * outImage + 4 * oh0 * outW * C, 1, inH, inW, C,
            count, outW, fH, fW, sH, sW, dH, dW, padTop - oh0 * sH, padLeft] }]);
        }
      }
    }
    return tasks.length > 1 && this.dispatch(tasks, t);
  }

  /**
   * assembly/conv_backprop.ts `conv2dBackpropInputNhwc` (Conv2DBackpropInput, conv2dTranspose)
   * split over threads in ranges of dx rows of each image: rows [y0, y0 + count) of image b are
   * the same call on image b alone with h = count and pt + y0 (its rows start y0 further down).
   * `args` are the export's arguments; `flops` the call's multiply-adds × 2. Bit-identical to one
   * call. Returns false when not split.
   */
  conv2dBackpropInput(args: number[], flops: number): boolean {
    const [dy, dyH, dyW, dyLeft, wp, dx, n, h, w, ciP, ho, co, kh, kw, sh, sw, pt, pl] = args;
    const t = this.threads(flops);
    if (t < 2 || n * h < 2 * t) return false;
    const dyImage = 4 * dyH * dyW * co, dxRow = 4 * w * ciP;
    const per = Math.ceil(t / n);
    const tasks: Call[][] = [];
    for (let b = 0; b < n; b++) {
      for (const [y0, count] of guidedRanges(h, 1, per, tailUnits(h, 1, per))) {
        tasks.push([{ fn: 'conv2dBackpropInputNhwc', args: [dy + b * dyImage, dyH, dyW, dyLeft, wp,
          dx + (b * h + y0) * dxRow, 1, count, w, ciP, ho, co, kh, kw, sh, sw, pt + y0, pl] }]);
      }
    }
    return tasks.length > 1 && this.dispatch(tasks, t);
  }

  /**
   * assembly/conv_backprop.ts `conv2dBackpropFilterNhwc` (Conv2DBackpropFilter, conv2d's filter
   * gradient) split over threads in ranges of dw rows m = kx·inC + c (4-row tiles, the same for
   * every ky): each task reads its columns of x and all of dy. Every dw value is summed in the same
   * order as in one call: bit-identical. `args` end with mBegin = 0, mEnd = mP. Returns false when
   * not split.
   */
  conv2dBackpropFilter(args: number[], flops: number): boolean {
    const mP = args[args.length - 1];
    const t = this.threads(flops);
    if (t < 2 || mP < 8) return false;
    const head = args.slice(0, -2);
    const tasks: Call[][] = guidedRanges(mP, 4, t, tailUnits(mP, 4, t)).map(([m0, count]) =>
      [{ fn: 'conv2dBackpropFilterNhwc', args: [...head, m0, m0 + count] }]);
    return tasks.length > 1 && this.dispatch(tasks, t);
  }

  /** Test hook: runs one call on worker 1 while this thread only waits. */
  runOnWorker(fn: ExportName, args: number[]): void {
    if (this.pool === null) throw new Error('simdnet threads: no workers');
    this.pool.run([[{ fn, args }]], 1, [], false);
  }
}

// ---- public API ------------------------------------------------------------------------------

/** A shared-memory backend made by enableThreads before 'simd' was initialized; the backend
 * factory (index.ts) takes it. */
let prepared: BackendSimd | null = null;
/** The settings of the last enableThreads, until disableThreads: a 'simd' backend that tfjs
 * creates again (after tf.removeBackend + registerBackend, or engine().reset()) gets them too. */
let config: { numThreads: number; maxBytes: number; minFlops: number; spinMicros: number } | null = null;

/**
 * Called by the backend factory (index.ts): the prepared threaded backend (once, synchronously);
 * later, while threads stay enabled, a new threaded backend (asynchronously: the workers must
 * start, so `await tf.setBackend('simd')`); null when threads are off.
 */
export function takePreparedBackend(): BackendSimd | Promise<BackendSimd> | null {
  const b = prepared;
  prepared = null;
  if (b !== null || config === null) return b;
  const { numThreads, maxBytes, minFlops, spinMicros } = config;
  return makeSharedBackend(maxBytes).then(async backend => {
    backend.threads!.minFlops = minFlops;
    backend.threads!.spinMicros = spinMicros;
    await backend.threads!.resize(numThreads);
    return backend;
  });
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
 * Threads stay on until `disableThreads()`: a 'simd' backend that tfjs creates again later
 * (tf.removeBackend + registerBackend, engine().reset()) is threaded too, created asynchronously
 * (`await tf.setBackend('simd')`).
 *
 * To switch a backend that is already initialized single-threaded, remove it first (its tensors
 * are lost): `const f = tf.findBackendFactory('simd'); tf.removeBackend('simd');
 * tf.registerBackend('simd', f, 3); await enableThreads(...); await tf.setBackend('simd')`.
 *
 * Calls of enableThreads / disableThreads made while one is still running wait for it: they take
 * effect one after the other, in call order.
 *
 * @param options.numThreads threads in all, 1–64 (default: logical CPUs, at most 4).
 * @param options.maximumMemoryBytes maximum shared memory (default 4 GiB).
 * @param options.minFlops calls below this stay single-threaded (default 2e6).
 * @param options.spinMicros µs a worker polls for the next call before blocking (default 200; 0: never spin).
 * @returns threadsInfo() after the change.
 * @throws Error when SharedArrayBuffer is unavailable (a browser page that is not cross-origin
 *   isolated), the 'simd' backend is already initialized on an unshared memory, the options
 *   are invalid, or a worker fails to start.
 */
export function enableThreads(options: ThreadsOptions = {}): Promise<ThreadsInfo> {
  return serialized(() => enableThreadsNow(options));
}

/** A user value in an error message: strings quoted (so '2' is not mistaken for 2). */
function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** enableThreads / disableThreads run one at a time, in call order: each awaits the previous
 * one's end (a pool being started is never raced by another start or a stop). */
let lastChange: Promise<unknown> = Promise.resolve();
function serialized<T>(f: () => Promise<T>): Promise<T> {
  const run = lastChange.then(f, f);
  lastChange = run.catch(() => undefined);
  return run;
}

async function enableThreadsNow(options: ThreadsOptions): Promise<ThreadsInfo> {
  const n = options.numThreads ?? defaultThreadCount();
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`enableThreads: numThreads must be an integer in 1..64, got ${shown(n)}`);
  const maxBytes = options.maximumMemoryBytes ?? 4 * 1024 ** 3;
  if (!(maxBytes >= 16 * 1024 ** 2 && maxBytes <= 4 * 1024 ** 3)) {
    throw new Error(`enableThreads: maximumMemoryBytes must be in 16 MiB..4 GiB, got ${shown(maxBytes)}`);
  }
  if (options.minFlops !== undefined && !(options.minFlops >= 0)) {
    throw new Error(`enableThreads: minFlops must be ≥ 0, got ${shown(options.minFlops)}`);
  }
  const spin = options.spinMicros;
  if (spin !== undefined && !(Number.isInteger(spin) && spin >= 0 && spin <= 1e6)) {
    throw new Error(`enableThreads: spinMicros must be an integer in 0..1e6, got ${shown(spin)}`);
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
  if (spin !== undefined) threads.spinMicros = spin;
  await threads.resize(n);
  config = { numThreads: n, maxBytes, minFlops: threads.minFlops, spinMicros: threads.spinMicros };
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
    throw new Error(`setThreads: n must be an integer in 1..${t.poolThreads} (the threads started by enableThreads), got ${shown(n)}`);
  }
  t.active = n;
}

/**
 * Stops the worker pool. An initialized backend keeps its (shared) memory and tensors and goes
 * on single-threaded; a prepared, not yet initialized one is dropped (the backend then starts
 * as usual, unshared), and so is a backend that tfjs creates later. Safe to call when threads
 * are off.
 */
export function disableThreads(): Promise<void> {
  return serialized(disableThreadsNow);
}

async function disableThreadsNow(): Promise<void> {
  config = null;
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
