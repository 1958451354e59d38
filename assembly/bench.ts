// Peak-throughput loops for the benchmarks (bench/peak.ts): the f32x4 multiply+add rate this
// engine and CPU sustain, the ceiling that the "% of peak" column of `npm run bench` refers to.
// Not kernels: no memory traffic, no tfjs. A few hundred bytes of the module.
//
// Each loop iteration updates 12 independent accumulators acc = acc·m + c (call with m = 0.999,
// c = 0.001: the values settle at 1, no overflow, no denormals; m and c are parameters so that
// they stay in registers instead of being folded into per-use constants). 12 chains cover the latency of a dependent
// mul→add (≈8 cycles) or fma (≈4 cycles) on two vector FP ports; 12 accumulators plus m and c
// fit the 16 xmm registers, so nothing spills. FLOPs = iters · 12 · 4 lanes · 2.

/** Unfused: f32x4.mul then f32x4.add (what a plain-SIMD build of the kernels executes). */
// @ts-ignore: decorator
@inline function mulAdd(a: v128, b: v128, acc: v128): v128 {
  return f32x4.add(f32x4.mul(a, b), acc);
}

/** As the kernels' `madd`: fused f32x4.relaxed_madd on relaxed-SIMD builds, mul+add otherwise. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(f32x4.mul(a, b), acc);
}

// The loop body, written out once per flavour (AssemblyScript has no macros; @inline keeps the
// accumulators in locals).

/** `iters` iterations of 12 unfused f32x4 mul+add chains (96 FLOPs each); returns a checksum. */
export function peakMulAdd(iters: i32, mul: f32, add: f32): f32 {
  const m = f32x4.splat(mul);
  const c = f32x4.splat(add);
  let a0 = f32x4.splat(0.0), a1 = f32x4.splat(0.1), a2 = f32x4.splat(0.2), a3 = f32x4.splat(0.3);
  let a4 = f32x4.splat(0.4), a5 = f32x4.splat(0.5), a6 = f32x4.splat(0.6), a7 = f32x4.splat(0.7);
  let a8 = f32x4.splat(0.8), a9 = f32x4.splat(0.9), a10 = f32x4.splat(1.1), a11 = f32x4.splat(1.2);
  for (let i = 0; i < iters; i++) {
    a0 = mulAdd(a0, m, c); a1 = mulAdd(a1, m, c); a2 = mulAdd(a2, m, c); a3 = mulAdd(a3, m, c);
    a4 = mulAdd(a4, m, c); a5 = mulAdd(a5, m, c); a6 = mulAdd(a6, m, c); a7 = mulAdd(a7, m, c);
    a8 = mulAdd(a8, m, c); a9 = mulAdd(a9, m, c); a10 = mulAdd(a10, m, c); a11 = mulAdd(a11, m, c);
  }
  return checksum(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
}

/** `iters` iterations of 12 f32x4 `madd` chains (fused on relaxed builds); returns a checksum. */
export function peakMadd(iters: i32, mul: f32, add: f32): f32 {
  const m = f32x4.splat(mul);
  const c = f32x4.splat(add);
  let a0 = f32x4.splat(0.0), a1 = f32x4.splat(0.1), a2 = f32x4.splat(0.2), a3 = f32x4.splat(0.3);
  let a4 = f32x4.splat(0.4), a5 = f32x4.splat(0.5), a6 = f32x4.splat(0.6), a7 = f32x4.splat(0.7);
  let a8 = f32x4.splat(0.8), a9 = f32x4.splat(0.9), a10 = f32x4.splat(1.1), a11 = f32x4.splat(1.2);
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, m, c); a1 = madd(a1, m, c); a2 = madd(a2, m, c); a3 = madd(a3, m, c);
    a4 = madd(a4, m, c); a5 = madd(a5, m, c); a6 = madd(a6, m, c); a7 = madd(a7, m, c);
    a8 = madd(a8, m, c); a9 = madd(a9, m, c); a10 = madd(a10, m, c); a11 = madd(a11, m, c);
  }
  return checksum(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
}

/** 1 when this build's `madd` is the fused relaxed-SIMD one, else 0. */
export function peakMaddFused(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

// @ts-ignore: decorator
@inline function checksum(a0: v128, a1: v128, a2: v128, a3: v128, a4: v128, a5: v128, a6: v128,
    a7: v128, a8: v128, a9: v128, a10: v128, a11: v128): f32 {
  let s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  s = f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
