// Reductions over float32 tensors viewed as x[outer, R, inner] (row-major, contiguous):
// y[o, i] = reduce_{r < R} x[o, r, i]. The JS side (src/backend/elementwise_impl.ts) collapses
// the tfjs axes into this form (or transposes first when the reduced axes are not adjacent).
//   *Inner kernels: inner == 1, the reduced run is contiguous (e.g. the last axis).
//   *Mid kernels:   inner > 1, vectorized across the inner axis (e.g. mean over H,W of NHWC).
// Semantics follow tfjs-backend-cpu exactly where it matters:
//   sum/prod accumulate in float64 (cpu sums JS numbers) and round once; mean divides every
//   element by R in float32 first, then sums (cpu: div then sum); max/min propagate NaN
//   (cpu: `isNaN(v) || v > max`); argMax/argMin keep the FIRST extreme index and skip NaN
//   unless x[0] is NaN (then 0) — cpu's `v > max` scan. R == 0 gives 0 (sum, mean),
//   1 (prod), NaN (max, min), 0 (argmax).
// Allocation-free; no trap for any sizes >= 0.

const R_SUM: i32 = 0;
const R_MEAN: i32 = 1;
const R_PROD: i32 = 2;
const R_MAX: i32 = 3;
const R_MIN: i32 = 4;

// @ts-ignore: decorator
@inline function lo64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
// @ts-ignore: decorator
@inline function hi64(v: v128): v128 { return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)); }

// @ts-ignore: decorator
@inline function acc64(op: i32, a: v128, b: v128): v128 {
  return op == R_PROD ? f64x2.mul(a, b) : f64x2.add(a, b);
}
// @ts-ignore: decorator
@inline function acc64s(op: i32, a: f64, b: f64): f64 {
  return op == R_PROD ? a * b : a + b;
}
// @ts-ignore: decorator
@inline function ext32(op: i32, a: v128, b: v128): v128 {
  return op == R_MAX ? f32x4.max(a, b) : f32x4.min(a, b);
}
// @ts-ignore: decorator
@inline function ext32s(op: i32, a: f32, b: f32): f32 {
  return op == R_MAX ? max<f32>(a, b) : min<f32>(a, b);
}
/** Element as it enters a float64 sum: x, or fround(x / R) for mean. */
// @ts-ignore: decorator
@inline function pre(op: i32, v: v128, dv: v128): v128 {
  return op == R_MEAN ? f32x4.div(v, dv) : v;
}
// @ts-ignore: decorator
@inline function empty(op: i32): f32 {
  return op == R_PROD ? 1 : (op == R_MAX || op == R_MIN) ? f32.NaN : 0;
}

// @ts-ignore: decorator
@inline function reduceInner(op: i32, x: usize, y: usize, outer: i32, R: i32): void {
  const rf = <f32>R;
  const dv = f32x4.splat(rf);
  for (let o = 0; o < outer; o++) {
    const p = x + (<usize>o * <usize>R << 2);
    let res: f32;
    if (R == 0) {
      res = empty(op);
    } else if (op == R_MAX || op == R_MIN) {
      let m0 = f32x4.splat(load<f32>(p));
      let m1 = m0;
      let j = 0;
      for (; j + 8 <= R; j += 8) {
        const q = p + (<usize>j << 2);
        m0 = ext32(op, m0, v128.load(q));
        m1 = ext32(op, m1, v128.load(q, 16));
      }
      for (; j + 4 <= R; j += 4) m0 = ext32(op, m0, v128.load(p + (<usize>j << 2)));
      m0 = ext32(op, m0, m1);
      let m = ext32s(op, ext32s(op, f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)),
          ext32s(op, f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
      for (; j < R; j++) m = ext32s(op, m, load<f32>(p + (<usize>j << 2)));
      res = m;
    } else {
      const init = f64x2.splat(op == R_PROD ? 1.0 : 0.0);
      let a0 = init, a1 = init, a2 = init, a3 = init;
      let j = 0;
      for (; j + 8 <= R; j += 8) {
        const q = p + (<usize>j << 2);
        const v0 = pre(op, v128.load(q), dv);
        const v1 = pre(op, v128.load(q, 16), dv);
        a0 = acc64(op, a0, lo64(v0));
        a1 = acc64(op, a1, hi64(v0));
        a2 = acc64(op, a2, lo64(v1));
        a3 = acc64(op, a3, hi64(v1));
      }
      for (; j + 4 <= R; j += 4) {
        const v0 = pre(op, v128.load(p + (<usize>j << 2)), dv);
        a0 = acc64(op, a0, lo64(v0));
        a1 = acc64(op, a1, hi64(v0));
      }
      const a = acc64(op, acc64(op, a0, a2), acc64(op, a1, a3));
      let s = acc64s(op, f64x2.extract_lane(a, 0), f64x2.extract_lane(a, 1));
      for (; j < R; j++) {
        let t = load<f32>(p + (<usize>j << 2));
        if (op == R_MEAN) t = t / rf;
        s = acc64s(op, s, <f64>t);
      }
      res = <f32>s;
    }
    store<f32>(y + (<usize>o << 2), res);
  }
}

// @ts-ignore: decorator
@inline function reduceMid(op: i32, x: usize, y: usize, outer: i32, R: i32, inner: i32): void {
  const rf = <f32>R;
  const dv = f32x4.splat(rf);
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>R * rowBytes;
    const out = y + <usize>o * rowBytes;
    if (R == 0) {
      const e = empty(op);
      for (let i = 0; i < inner; i++) store<f32>(out + (<usize>i << 2), e);
      continue;
    }
    let i = 0;
    if (op == R_MAX || op == R_MIN) {
      for (; i + 8 <= inner; i += 8) {
        const q0 = base + (<usize>i << 2);
        let m0 = v128.load(q0);
        let m1 = v128.load(q0, 16);
        for (let r = 1; r < R; r++) {
          const q = q0 + <usize>r * rowBytes;
          m0 = ext32(op, m0, v128.load(q));
          m1 = ext32(op, m1, v128.load(q, 16));
        }
        v128.store(out + (<usize>i << 2), m0);
        v128.store(out + (<usize>i << 2), m1, 16);
      }
      for (; i + 4 <= inner; i += 4) {
        const q0 = base + (<usize>i << 2);
        let m0 = v128.load(q0);
        for (let r = 1; r < R; r++) m0 = ext32(op, m0, v128.load(q0 + <usize>r * rowBytes));
        v128.store(out + (<usize>i << 2), m0);
      }
      for (; i < inner; i++) {
        const q0 = base + (<usize>i << 2);
        let m = load<f32>(q0);
        for (let r = 1; r < R; r++) m = ext32s(op, m, load<f32>(q0 + <usize>r * rowBytes));
        store<f32>(out + (<usize>i << 2), m);
      }
    } else {
      const init = f64x2.splat(op == R_PROD ? 1.0 : 0.0);
      for (; i + 8 <= inner; i += 8) {
        const q0 = base + (<usize>i << 2);
        let a0 = init, a1 = init, a2 = init, a3 = init;
        for (let r = 0; r < R; r++) {
          const q = q0 + <usize>r * rowBytes;
          const v0 = pre(op, v128.load(q), dv);
          const v1 = pre(op, v128.load(q, 16), dv);
          a0 = acc64(op, a0, lo64(v0));
          a1 = acc64(op, a1, hi64(v0));
          a2 = acc64(op, a2, lo64(v1));
          a3 = acc64(op, a3, hi64(v1));
        }
        const p = out + (<usize>i << 2);
        v128.store(p, v128.shuffle<f32>(f32x4.demote_f64x2_zero(a0), f32x4.demote_f64x2_zero(a1), 0, 1, 4, 5));
        v128.store(p, v128.shuffle<f32>(f32x4.demote_f64x2_zero(a2), f32x4.demote_f64x2_zero(a3), 0, 1, 4, 5), 16);
      }
      for (; i + 4 <= inner; i += 4) {
        const q0 = base + (<usize>i << 2);
        let a0 = init, a1 = init;
        for (let r = 0; r < R; r++) {
          const v0 = pre(op, v128.load(q0 + <usize>r * rowBytes), dv);
          a0 = acc64(op, a0, lo64(v0));
          a1 = acc64(op, a1, hi64(v0));
        }
        v128.store(out + (<usize>i << 2),
            v128.shuffle<f32>(f32x4.demote_f64x2_zero(a0), f32x4.demote_f64x2_zero(a1), 0, 1, 4, 5));
      }
      for (; i < inner; i++) {
        const q0 = base + (<usize>i << 2);
        let s: f64 = op == R_PROD ? 1.0 : 0.0;
        for (let r = 0; r < R; r++) {
          let t = load<f32>(q0 + <usize>r * rowBytes);
          if (op == R_MEAN) t = t / rf;
          s = acc64s(op, s, <f64>t);
        }
        store<f32>(out + (<usize>i << 2), <f32>s);
      }
    }
  }
}

/** y[o] = sum_r x[o, r] (float64 accumulation) for x [outer, R]. (tfjs Sum, innermost axes) */
export function sumInner(x: usize, y: usize, outer: i32, R: i32): void { reduceInner(R_SUM, x, y, outer, R); }
/** y[o] = sum_r fround(x[o, r] / R). (tfjs Mean) */
export function meanInner(x: usize, y: usize, outer: i32, R: i32): void { reduceInner(R_MEAN, x, y, outer, R); }
/** y[o] = prod_r x[o, r] (float64 accumulation). (tfjs Prod) */
export function prodInner(x: usize, y: usize, outer: i32, R: i32): void { reduceInner(R_PROD, x, y, outer, R); }
/** y[o] = max_r x[o, r], NaN if any is NaN. (tfjs Max) */
export function maxInner(x: usize, y: usize, outer: i32, R: i32): void { reduceInner(R_MAX, x, y, outer, R); }
/** y[o] = min_r x[o, r], NaN if any is NaN. (tfjs Min) */
export function minInner(x: usize, y: usize, outer: i32, R: i32): void { reduceInner(R_MIN, x, y, outer, R); }
/** y[o, i] = sum_r x[o, r, i] for x [outer, R, inner]. (tfjs Sum, e.g. over N,H,W of NHWC) */
export function sumMid(x: usize, y: usize, outer: i32, R: i32, inner: i32): void { reduceMid(R_SUM, x, y, outer, R, inner); }
/** y[o, i] = sum_r fround(x[o, r, i] / R). (tfjs Mean, e.g. global average pooling) */
export function meanMid(x: usize, y: usize, outer: i32, R: i32, inner: i32): void { reduceMid(R_MEAN, x, y, outer, R, inner); }
/** y[o, i] = prod_r x[o, r, i]. (tfjs Prod) */
export function prodMid(x: usize, y: usize, outer: i32, R: i32, inner: i32): void { reduceMid(R_PROD, x, y, outer, R, inner); }
/** y[o, i] = max_r x[o, r, i]. (tfjs Max) */
export function maxMid(x: usize, y: usize, outer: i32, R: i32, inner: i32): void { reduceMid(R_MAX, x, y, outer, R, inner); }
/** y[o, i] = min_r x[o, r, i]. (tfjs Min) */
export function minMid(x: usize, y: usize, outer: i32, R: i32, inner: i32): void { reduceMid(R_MIN, x, y, outer, R, inner); }

// ---------------------------------------------------------------------------------------------
// ArgMax / ArgMin: int32 index of the first extreme along R, for x [outer, R, inner].

// @ts-ignore: decorator
@inline function better(isMin: bool, v: v128, m: v128): v128 {
  return isMin ? f32x4.lt(v, m) : f32x4.gt(v, m);
}
// @ts-ignore: decorator
@inline function betters(isMin: bool, v: f32, m: f32): bool {
  return isMin ? v < m : v > m;
}

// @ts-ignore: decorator
@inline function argInner(isMin: bool, x: usize, y: usize, outer: i32, R: i32): void {
  for (let o = 0; o < outer; o++) {
    const p = x + (<usize>o * <usize>R << 2);
    let bi = 0;
    if (R > 0) {
      const x0 = load<f32>(p);
      if (x0 == x0) {  // x[0] NaN: cpu never moves off index 0
        // Lanes scan j = lane (mod 4); every lane starts from (x[0], 0).
        let mv = f32x4.splat(x0);
        let iv = i32x4.splat(0);
        let jv = i32x4(0, 1, 2, 3);
        const four = i32x4.splat(4);
        let j = 0;
        for (; j + 4 <= R; j += 4) {
          const v = v128.load(p + (<usize>j << 2));
          const b = better(isMin, v, mv);
          mv = v128.bitselect(v, mv, b);
          iv = v128.bitselect(jv, iv, b);
          jv = i32x4.add(jv, four);
        }
        // Lanes hold non-NaN candidates; pick the extreme, ties -> smallest index.
        let best = x0;
        for (let l = 0; l < 4; l++) {
          let v: f32, ix: i32;
          if (l == 0) { v = f32x4.extract_lane(mv, 0); ix = i32x4.extract_lane(iv, 0); }
          else if (l == 1) { v = f32x4.extract_lane(mv, 1); ix = i32x4.extract_lane(iv, 1); }
          else if (l == 2) { v = f32x4.extract_lane(mv, 2); ix = i32x4.extract_lane(iv, 2); }
          else { v = f32x4.extract_lane(mv, 3); ix = i32x4.extract_lane(iv, 3); }
          if (betters(isMin, v, best) || (v == best && ix < bi)) { best = v; bi = ix; }
        }
        for (; j < R; j++) {
          const v = load<f32>(p + (<usize>j << 2));
          if (betters(isMin, v, best)) { best = v; bi = j; }
        }
      }
    }
    store<i32>(y + (<usize>o << 2), bi);
  }
}

// @ts-ignore: decorator
@inline function argMid(isMin: bool, x: usize, y: usize, outer: i32, R: i32, inner: i32): void {
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>R * rowBytes;
    const out = y + <usize>o * rowBytes;
    let i = 0;
    if (R == 0) {
      for (; i < inner; i++) store<i32>(out + (<usize>i << 2), 0);
      continue;
    }
    for (; i + 4 <= inner; i += 4) {
      const q0 = base + (<usize>i << 2);
      let mv = v128.load(q0);
      let iv = i32x4.splat(0);
      for (let r = 1; r < R; r++) {
        const v = v128.load(q0 + <usize>r * rowBytes);
        const b = better(isMin, v, mv);
        mv = v128.bitselect(v, mv, b);
        iv = v128.bitselect(i32x4.splat(r), iv, b);
      }
      v128.store(out + (<usize>i << 2), iv);
    }
    for (; i < inner; i++) {
      const q0 = base + (<usize>i << 2);
      let m = load<f32>(q0);
      let bi = 0;
      for (let r = 1; r < R; r++) {
        const v = load<f32>(q0 + <usize>r * rowBytes);
        if (betters(isMin, v, m)) { m = v; bi = r; }
      }
      store<i32>(out + (<usize>i << 2), bi);
    }
  }
}

/** y[o] (int32) = first index of max_r x[o, r]; NaN skipped unless x[o, 0] is NaN. (tfjs ArgMax) */
export function argMaxInner(x: usize, y: usize, outer: i32, R: i32): void { argInner(false, x, y, outer, R); }
/** y[o, i] (int32) = first index of max_r x[o, r, i]. (tfjs ArgMax) */
export function argMaxMid(x: usize, y: usize, outer: i32, R: i32, inner: i32): void { argMid(false, x, y, outer, R, inner); }
/** y[o] (int32) = first index of min_r x[o, r]. (tfjs ArgMin) */
export function argMinInner(x: usize, y: usize, outer: i32, R: i32): void { argInner(true, x, y, outer, R); }
/** y[o, i] (int32) = first index of min_r x[o, r, i]. (tfjs ArgMin) */
export function argMinMid(x: usize, y: usize, outer: i32, R: i32, inner: i32): void { argMid(true, x, y, outer, R, inner); }
