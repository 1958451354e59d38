// Elementwise kernels, SIMD over contiguous float32 buffers (pointers are byte offsets,
// sizes are element counts; no allocation, no traps for any n >= 0): unary ops, broadcasting
// binary ops, row-wise softmax, and the 2-D (batched) transpose of 4-byte elements.
//
// NaN semantics follow tfjs-backend-cpu (node_modules/@tensorflow/tfjs-backend-cpu/dist/kernels):
// relu(NaN) = NaN (Math.max(0, NaN)), so the clamp is pmax(x, 0) (x < 0 ? 0 : x), never
// pmax(0, x); Maximum/Minimum use Math.max/min, i.e. NaN wins: f32x4.max/min.
//
// exp, log, tanh have no SIMD instruction: they are Cephes-style polynomial approximations
// (range reduction + minimax polynomial), about 1-2 ulp (relative error < 3e-7) over the
// whole float range, with IEEE special cases (±Infinity, NaN, ±0, denormals) matching Math.*.
// Tails (n % 4 elements) run through the same vector code on a partially filled vector, so
// every element of a tensor gets bit-identical results wherever it sits.

// ---------------------------------------------------------------------------------------------
// Tail helpers: k in 1..3 lanes.

@inline function loadTail(p: usize, k: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (k > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (k > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline function storeTail(p: usize, v: v128, k: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (k > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (k > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// ---------------------------------------------------------------------------------------------
// Vector math.

/** e^x per lane: Cephes expf reduction x = n ln2 + r, degree-7 polynomial, 2^n applied as
 * two factors so that results in the denormal range round once and overflow gives +Inf. */
// @ts-ignore: decorator
@inline function vexp(x: v128): v128 {
  // Clamp keeps NaN (pmax/pmin return the first operand when the comparison is false).
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(88.8));
  const fn = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(fn, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fn, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  const n = i32x4.trunc_sat_f32x4_s(fn);          // in [-150, 128]; NaN -> 0
  const n1 = i32x4.shr_s(n, 1);                    // in [-75, 64]
  const n2 = i32x4.sub(n, n1);                     // in [-75, 64]
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** ln x per lane (Cephes logf): x = m 2^e with m in [sqrt(1/2), sqrt(2)), polynomial in m-1.
 * log(0) = -Inf, log(x<0) = NaN, log(+Inf) = +Inf, log(NaN) = NaN; denormals are normalized. */
// @ts-ignore: decorator
@inline function vlog(x0: v128): v128 {
  // Normalize denormals (0 < x < 2^-126) by 2^23.
  const tiny = f32x4.lt(x0, f32x4.splat(1.17549435e-38));
  const x = v128.bitselect(f32x4.mul(x0, f32x4.splat(8388608.0)), x0, tiny);
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));             // exponent for m in [0.5, 1)
  e = i32x4.sub(e, v128.and(tiny, i32x4.splat(23)));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  // m < sqrt(1/2): use 2m - 1 and e - 1, else m - 1.
  const small = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = i32x4.add(e, small);                                              // small lanes are -1
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), f32x4.splat(1.0));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(fe, f32x4.splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let r = f32x4.add(f32x4.add(m, y), f32x4.mul(fe, f32x4.splat(0.693359375)));
  // Special cases, in order: +Inf -> +Inf, 0 -> -Inf, x < 0 or NaN -> NaN.
  const inf = f32x4.splat(f32.POSITIVE_INFINITY);
  r = v128.bitselect(inf, r, f32x4.eq(x0, inf));
  r = v128.bitselect(f32x4.neg(inf), r, f32x4.eq(x0, f32x4.splat(0)));
  r = v128.bitselect(f32x4.splat(f32.NaN), r, v128.not(f32x4.ge(x0, f32x4.splat(0))));
  return r;
}

/** tanh per lane: odd polynomial for |x| < 0.625 (Cephes tanhf), 1 - 2/(e^{2|x|}+1) above,
 * sign restored; ±Inf -> ±1, NaN -> NaN. */
// @ts-ignore: decorator
@inline function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const one = f32x4.splat(1.0);
  let big = f32x4.sub(one, f32x4.div(f32x4.splat(2.0), f32x4.add(vexp(f32x4.add(ax, ax)), one)));
  big = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));            // copy the sign of x
  return v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.625)));
}

/** 1/(1+e^-x) per lane, as e/(1+e) with e = e^-|x| for x < 0 (no overflow, full relative
 * accuracy in both tails); -Inf -> 0, +Inf -> 1, NaN -> NaN. */
// @ts-ignore: decorator
@inline function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(f32x4.mul(e, r), r, f32x4.lt(x, f32x4.splat(0)));
}

/** 1/sqrt(x) per lane, computed in float64 and rounded once: bit-identical to cpu's
 * Math.fround(1 / Math.sqrt(x)). */
// @ts-ignore: decorator
@inline function vrsqrt(x: v128): v128 {
  const one = f64x2.splat(1.0);
  const lo = f64x2.div(one, f64x2.sqrt(f64x2.promote_low_f32x4(x)));
  const hi = f64x2.div(one, f64x2.sqrt(f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3))));
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// ---------------------------------------------------------------------------------------------
// Unary kernels: y[i] = f(x[i]) for i < n. x and y may alias.

const U_RELU6: i32 = 0;
const U_EXP: i32 = 1;
const U_LOG: i32 = 2;
const U_SQRT: i32 = 3;
const U_RSQRT: i32 = 4;
const U_SQUARE: i32 = 5;
const U_NEG: i32 = 6;
const U_STEP: i32 = 7;
const U_SIGMOID: i32 = 8;
const U_TANH: i32 = 9;
const U_ABS: i32 = 10;
const U_LEAKY: i32 = 11;

// @ts-ignore: decorator
@inline function unaryOp(op: i32, x: v128, alpha: f64): v128 {
  if (op == U_RELU6) return f32x4.pmin(f32x4.pmax(x, f32x4.splat(0)), f32x4.splat(6));
  if (op == U_EXP) return vexp(x);
  if (op == U_LOG) return vlog(x);
  if (op == U_SQRT) return f32x4.sqrt(x);
  if (op == U_RSQRT) return vrsqrt(x);
  if (op == U_SQUARE) return f32x4.mul(x, x);
  if (op == U_NEG) return f32x4.neg(x);
  if (op == U_STEP) {
    // x > 0 ? 1 : alpha; NaN stays NaN.
    const s = v128.bitselect(f32x4.splat(1), f32x4.splat(<f32>alpha), f32x4.gt(x, f32x4.splat(0)));
    return v128.bitselect(x, s, f32x4.ne(x, x));
  }
  if (op == U_SIGMOID) return vsigmoid(x);
  if (op == U_TANH) return vtanh(x);
  if (op == U_ABS) return f32x4.abs(x);
  // U_LEAKY: x < 0 ? alpha * x : x (NaN stays NaN); the product in float64 with the double
  // alpha, rounded once, as cpu's `alpha * x` stored into a Float32Array.
  const a = f64x2.splat(alpha);
  const lo = f64x2.mul(f64x2.promote_low_f32x4(x), a);
  const hi = f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3)), a);
  const m = v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
  return v128.bitselect(m, x, f32x4.lt(x, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline function mapUnary(op: i32, x: usize, y: usize, n: i32, alpha: f64): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, unaryOp(op, v128.load(x + off), alpha));
  }
  if (i < n) {
    const off = <usize>i << 2;
    storeTail(y + off, unaryOp(op, loadTail(x + off, n - i), alpha), n - i);
  }
}

/** y[i] = max(x[i], 0) for i < n; NaN stays NaN. x and y may alias. (tfjs Relu) */
export function relu(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.pmax(v128.load(x + off), zero));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const v = load<f32>(x + off);
    store<f32>(y + off, v < 0 ? 0 : v);
  }
}

/** y = min(max(x, 0), 6); NaN stays NaN. (tfjs Relu6) */
export function relu6(x: usize, y: usize, n: i32): void { mapUnary(U_RELU6, x, y, n, 0); }
/** y = e^x (polynomial, < 3e-7 relative error). (tfjs Exp) */
export function exp(x: usize, y: usize, n: i32): void { mapUnary(U_EXP, x, y, n, 0); }
/** y = ln x (polynomial, < 3e-7 relative error; NaN for x < 0). (tfjs Log) */
export function log(x: usize, y: usize, n: i32): void { mapUnary(U_LOG, x, y, n, 0); }
/** y = sqrt(x), correctly rounded. (tfjs Sqrt) */
export function sqrt(x: usize, y: usize, n: i32): void { mapUnary(U_SQRT, x, y, n, 0); }
/** y = 1/sqrt(x), via float64 (bit-identical to cpu). (tfjs Rsqrt) */
export function rsqrt(x: usize, y: usize, n: i32): void { mapUnary(U_RSQRT, x, y, n, 0); }
/** y = x*x. (tfjs Square) */
export function square(x: usize, y: usize, n: i32): void { mapUnary(U_SQUARE, x, y, n, 0); }
/** y = -x. (tfjs Neg) */
export function neg(x: usize, y: usize, n: i32): void { mapUnary(U_NEG, x, y, n, 0); }
/** y = x > 0 ? 1 : alpha, NaN -> NaN. (tfjs Step) */
export function step(x: usize, y: usize, n: i32, alpha: f64): void { mapUnary(U_STEP, x, y, n, alpha); }
/** y = 1/(1+e^-x). (tfjs Sigmoid) */
export function sigmoid(x: usize, y: usize, n: i32): void { mapUnary(U_SIGMOID, x, y, n, 0); }
/** y = tanh x. (tfjs Tanh) */
export function tanh(x: usize, y: usize, n: i32): void { mapUnary(U_TANH, x, y, n, 0); }
/** y = |x|. (tfjs Abs) */
export function abs(x: usize, y: usize, n: i32): void { mapUnary(U_ABS, x, y, n, 0); }
/** y = x < 0 ? alpha*x : x, the product rounded once from float64 (bit-identical to cpu). (tfjs LeakyRelu) */
export function leakyRelu(x: usize, y: usize, n: i32, alpha: f64): void { mapUnary(U_LEAKY, x, y, n, alpha); }

// ---------------------------------------------------------------------------------------------
// Binary kernels with broadcasting.
//
// The JS side (src/backend/elementwise_impl.ts) collapses the broadcast into `rank` dims and
// writes an i32 table at `meta`: shape[rank], aStride[rank], bStride[rank] (element strides,
// 0 along broadcast dims), plus rank i32 of counter space. The innermost dim has strides
// (1,1), (1,0) or (0,1): same-shape, scalar, bias-add and per-row patterns all become one
// SIMD row loop; the outer dims are walked with an odometer.

const B_ADD: i32 = 0;
const B_SUB: i32 = 1;
const B_MUL: i32 = 2;
const B_DIV: i32 = 3;
const B_MAX: i32 = 4;
const B_MIN: i32 = 5;
const B_SQDIFF: i32 = 6;

// @ts-ignore: decorator
@inline function vbin(op: i32, a: v128, b: v128): v128 {
  if (op == B_ADD) return f32x4.add(a, b);
  if (op == B_SUB) return f32x4.sub(a, b);
  if (op == B_MUL) return f32x4.mul(a, b);
  if (op == B_DIV) return f32x4.div(a, b);
  if (op == B_MAX) return f32x4.max(a, b);
  if (op == B_MIN) return f32x4.min(a, b);
  const d = f32x4.sub(a, b);
  return f32x4.mul(d, d);
}

// @ts-ignore: decorator
@inline function sbin(op: i32, a: f32, b: f32): f32 {
  if (op == B_ADD) return a + b;
  if (op == B_SUB) return a - b;
  if (op == B_MUL) return a * b;
  if (op == B_DIV) return a / b;
  if (op == B_MAX) return max<f32>(a, b);
  if (op == B_MIN) return min<f32>(a, b);
  const d = a - b;
  return d * d;
}

// @ts-ignore: decorator
@inline function rowVV(op: i32, a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(y + o, vbin(op, v128.load(a + o), v128.load(b + o)));
    v128.store(y + o, vbin(op, v128.load(a + o, 16), v128.load(b + o, 16)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, vbin(op, v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, sbin(op, load<f32>(a + o), load<f32>(b + o)));
  }
}

// @ts-ignore: decorator
@inline function rowVS(op: i32, a: usize, s: f32, y: usize, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(y + o, vbin(op, v128.load(a + o), sv));
    v128.store(y + o, vbin(op, v128.load(a + o, 16), sv), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, vbin(op, v128.load(a + o), sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, sbin(op, load<f32>(a + o), s));
  }
}

// @ts-ignore: decorator
@inline function rowSV(op: i32, s: f32, b: usize, y: usize, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(y + o, vbin(op, sv, v128.load(b + o)));
    v128.store(y + o, vbin(op, sv, v128.load(b + o, 16)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, vbin(op, sv, v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, sbin(op, s, load<f32>(b + o)));
  }
}

// @ts-ignore: decorator
@inline function binaryNd(op: i32, a: usize, b: usize, y: usize, rank: i32, meta: usize): void {
  if (rank <= 0) return;
  const shape = meta;
  const aStr = meta + (<usize>rank << 2);
  const bStr = meta + (<usize>rank << 3);
  const cnt = meta + (<usize>rank * 12);
  const last = <usize>(rank - 1) << 2;
  const n = load<i32>(shape + last);
  const ai = load<i32>(aStr + last);
  const bi = load<i32>(bStr + last);
  let outer = 1;
  for (let d = 0; d < rank - 1; d++) {
    store<i32>(cnt + (<usize>d << 2), 0);
    outer *= load<i32>(shape + (<usize>d << 2));
  }
  let aOff = 0;
  let bOff = 0;
  let yOff = 0;
  for (let o = 0; o < outer; o++) {
    const pa = a + (<usize>aOff << 2);
    const pb = b + (<usize>bOff << 2);
    const py = y + (<usize>yOff << 2);
    if (ai != 0 && bi != 0) rowVV(op, pa, pb, py, n);
    else if (bi == 0) rowVS(op, pa, load<f32>(pb), py, n);
    else rowSV(op, load<f32>(pa), pb, py, n);
    yOff += n;
    // Odometer over dims rank-2 .. 0.
    for (let d = rank - 2; d >= 0; d--) {
      const dd = <usize>d << 2;
      const c = load<i32>(cnt + dd) + 1;
      const sa = load<i32>(aStr + dd);
      const sb = load<i32>(bStr + dd);
      if (c < load<i32>(shape + dd)) {
        store<i32>(cnt + dd, c);
        aOff += sa;
        bOff += sb;
        break;
      }
      store<i32>(cnt + dd, 0);
      aOff -= sa * (c - 1);
      bOff -= sb * (c - 1);
    }
  }
}

/** y = a + b with broadcasting (meta table above). (tfjs Add) */
export function addNd(a: usize, b: usize, y: usize, rank: i32, meta: usize): void { binaryNd(B_ADD, a, b, y, rank, meta); }
/** y = a - b with broadcasting. (tfjs Sub) */
export function subNd(a: usize, b: usize, y: usize, rank: i32, meta: usize): void { binaryNd(B_SUB, a, b, y, rank, meta); }
/** y = a * b with broadcasting. (tfjs Multiply) */
export function mulNd(a: usize, b: usize, y: usize, rank: i32, meta: usize): void { binaryNd(B_MUL, a, b, y, rank, meta); }
/** y = a / b with broadcasting. (tfjs RealDiv) */
export function divNd(a: usize, b: usize, y: usize, rank: i32, meta: usize): void { binaryNd(B_DIV, a, b, y, rank, meta); }
/** y = max(a, b) with broadcasting, NaN if either is NaN (Math.max). (tfjs Maximum) */
export function maxNd(a: usize, b: usize, y: usize, rank: i32, meta: usize): void { binaryNd(B_MAX, a, b, y, rank, meta); }
/** y = min(a, b) with broadcasting, NaN if either is NaN (Math.min). (tfjs Minimum) */
export function minNd(a: usize, b: usize, y: usize, rank: i32, meta: usize): void { binaryNd(B_MIN, a, b, y, rank, meta); }
/** y = (a - b)^2 with broadcasting. (tfjs SquaredDifference) */
export function sqdiffNd(a: usize, b: usize, y: usize, rank: i32, meta: usize): void { binaryNd(B_SQDIFF, a, b, y, rank, meta); }

// ---------------------------------------------------------------------------------------------
// Softmax over the last axis.

/** Row-wise softmax of x [rows, n] (contiguous) into y: m = max(row) (NaN if any NaN),
 * e = exp(x - m), y = e / sum(e) with the sum accumulated in float64 (as tfjs-backend-cpu's
 * max/sub/exp/sum/div chain does). A row of all -Infinity gives NaN, as on cpu. x and y may
 * alias. (tfjs Softmax, dim = -1) */
export function softmax(x: usize, y: usize, rows: i32, n: i32): void {
  if (n <= 0) return;
  const nv = n & ~3;
  const k = n - nv;
  for (let r = 0; r < rows; r++) {
    const px = x + (<usize>r * <usize>n << 2);
    const py = y + (<usize>r * <usize>n << 2);
    // Max (f32x4.max and f32.max propagate NaN like cpu's maxImpl).
    let mv = f32x4.splat(load<f32>(px));
    for (let i = 0; i < nv; i += 4) mv = f32x4.max(mv, v128.load(px + (<usize>i << 2)));
    let m = max<f32>(max<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
        max<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (let i = nv; i < n; i++) m = max<f32>(m, load<f32>(px + (<usize>i << 2)));
    // e = exp(x - m), summed in float64.
    const ms = f32x4.splat(m);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (let i = 0; i < nv; i += 4) {
      const o = <usize>i << 2;
      const e = vexp(f32x4.sub(v128.load(px + o), ms));
      v128.store(py + o, e);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 2, 3)));
    }
    let sum = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) +
        f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    if (k > 0) {
      const o = <usize>nv << 2;
      const e = vexp(f32x4.sub(loadTail(px + o, k), ms));
      storeTail(py + o, e, k);
      sum += <f64>f32x4.extract_lane(e, 0);
      if (k > 1) sum += <f64>f32x4.extract_lane(e, 1);
      if (k > 2) sum += <f64>f32x4.extract_lane(e, 2);
    }
    const sv = f32x4.splat(<f32>sum);
    for (let i = 0; i < nv; i += 4) {
      const o = <usize>i << 2;
      v128.store(py + o, f32x4.div(v128.load(py + o), sv));
    }
    const s = <f32>sum;
    for (let i = nv; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(py + o, load<f32>(py + o) / s);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Transpose of 4-byte elements (float32 or int32 bits).

/** y[b, c, r] = x[b, r, c] for x [batch, rows, cols] of 4-byte elements: 4x4 register
 * blocks (i32x4 shuffles), scalar edges. x and y must not overlap. The JS side collapses any
 * tfjs permutation that is a (batched) 2-D swap into this form. (tfjs Transpose) */
export function transpose2d(x: usize, y: usize, batch: i32, rows: i32, cols: i32): void {
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  const xRow = <usize>cols << 2;   // bytes per x row
  const yRow = <usize>rows << 2;   // bytes per y row
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * <usize>rows * xRow;
    const yb = y + <usize>b * <usize>cols * yRow;
    // Column tiles of 64 keep the 64 y rows being written cache-resident.
    for (let jt = 0; jt < c4; jt += 64) {
      const je = min(jt + 64, c4);
      for (let i = 0; i < r4; i += 4) {
        const xi = xb + <usize>i * xRow;
        for (let j = jt; j < je; j += 4) {
          const p = xi + (<usize>j << 2);
          const a0 = v128.load(p);
          const a1 = v128.load(p + xRow);
          const a2 = v128.load(p + 2 * xRow);
          const a3 = v128.load(p + 3 * xRow);
          const t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
          const t2 = i32x4.shuffle(a2, a3, 0, 4, 1, 5);
          const t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
          const q = yb + <usize>j * yRow + (<usize>i << 2);
          v128.store(q, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
          v128.store(q + yRow, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
          v128.store(q + 2 * yRow, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
          v128.store(q + 3 * yRow, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
        }
      }
    }
    // Edges: the last cols % 4 columns of the first r4 rows, then the last rows % 4 rows.
    for (let i = 0; i < r4; i++) {
      const xi = xb + <usize>i * xRow;
      for (let j = c4; j < cols; j++) store<i32>(yb + <usize>j * yRow + (<usize>i << 2), load<i32>(xi + (<usize>j << 2)));
    }
    for (let i = r4; i < rows; i++) {
      const xi = xb + <usize>i * xRow;
      for (let j = 0; j < cols; j++) store<i32>(yb + <usize>j * yRow + (<usize>i << 2), load<i32>(xi + (<usize>j << 2)));
    }
  }
}
