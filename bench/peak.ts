/**
 * The measured SIMD peak: how many f32 GFLOP/s one thread of this engine and CPU sustains on
 * register-only f32x4 multiply+add chains (assembly/bench.ts: `peakMulAdd`, `peakMadd`). It is
 * the ceiling that the "% peak" column of `npm run bench` refers to.
 *
 * Runs in a private instance of the same kernel module the `simd` backend loaded (same variant:
 * plain SIMD, or relaxed SIMD where `peakMadd` is a fused f32x4.relaxed_madd). Each loop is
 * calibrated to ~`sliceMs` per call, warmed up (V8 tiers wasm up after the first calls), then
 * called `runs` times; the figure is the best call, each timed by the smaller of its wall time
 * and the process's CPU time (process.cpuUsage): a peak is a ceiling, and on a shared machine a
 * call's wall time includes waiting for a core. (Where the other vCPU is the SMT sibling of this
 * one and busy, the vector units are shared and even the CPU-time figure drops.)
 */
import { instantiate, kernelModuleSync } from '../src/backend/wasm_loader';

/** FLOPs of one loop iteration: 12 accumulators × 4 lanes × (mul + add). */
const FLOPS_PER_ITER = 12 * 4 * 2;

type PeakFn = (iters: number, mul: number, add: number) => number;

export interface Peak {
  /** GFLOP/s of unfused f32x4.mul + f32x4.add. */
  mulAdd: number;
  /** GFLOP/s of the kernels' `madd` (fused relaxed_madd on the relaxed variant, else = mulAdd's loop). */
  madd: number;
  /** Whether `madd` is the fused relaxed-SIMD instruction. */
  fused: boolean;
  /** The ceiling for the simd backend's kernels: the larger figure (the fused one, where there is one). */
  best: number;
}

/** Best GFLOP/s of `fn` over `runs` calls of ~`sliceMs` each. */
function measure(fn: PeakFn, runs: number, sliceMs: number): number {
  let iters = 1 << 14;
  for (let i = 0; i < 5; i++) fn(iters, 0.999, 0.001); // tier-up
  // calibrate: grow until one call takes ≥ sliceMs
  for (;;) {
    const t0 = performance.now();
    fn(iters, 0.999, 0.001);
    const dt = performance.now() - t0;
    if (dt >= sliceMs || iters >= 1 << 28) break;
    iters = Math.min(1 << 28, dt > 0.1 ? Math.ceil(iters * sliceMs / dt) : iters * 8);
  }
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const sum = fn(iters, 0.999, 0.001);
    const wall = performance.now() - t0;
    const dc = process.cpuUsage(c0);
    if (!Number.isFinite(sum)) throw new Error('peak loop produced a non-finite checksum');
    // This thread's CPU time, not the wall time: on a loaded machine a call may wait for a core.
    const cpu = (dc.user + dc.system) / 1000;
    const t = cpu > 0.2 * wall ? Math.min(wall, Math.max(cpu, 1e-3)) : wall;
    best = Math.max(best, (iters * FLOPS_PER_ITER) / t / 1e6);
  }
  return best;
}

/**
 * Measures the peak in the kernel module of the `simd` backend (call after
 * `tf.setBackend('simd')` so that the same variant is used). Returns null when the module has
 * no peak loops (a build from before assembly/bench.ts: run `npm run build:wasm`).
 */
export function measurePeak(runs = 30, sliceMs = 5): Peak | null {
  const module = kernelModuleSync();
  if (module === null) return null;
  const exports = instantiate(module) as unknown as Record<string, unknown>;
  const mulAddFn = exports.peakMulAdd as PeakFn | undefined;
  const maddFn = exports.peakMadd as PeakFn | undefined;
  if (typeof mulAddFn !== 'function' || typeof maddFn !== 'function') return null;
  const fused = (exports.peakMaddFused as (() => number) | undefined)?.() === 1;
  let mulAdd = measure(mulAddFn, runs, sliceMs);
  let madd = measure(maddFn, runs, sliceMs);
  // On the plain-SIMD variant both loops are the same code: keep the better sample.
  if (!fused) mulAdd = madd = Math.max(mulAdd, madd);
  return { mulAdd, madd, fused, best: Math.max(mulAdd, madd) };
}
