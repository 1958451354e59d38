// 2-D pooling over NHWC float32 tensors, SIMD across channels: a pixel is C contiguous
// floats, so one window tap is C/4 f32x4 lanes (plus a scalar tail for C % 4).
// Technique: XNNPACK f32-maxpool / f32-avgpool (per output pixel, accumulate the window's taps
// channel-vectorized; padding = taps skipped, per-output divisor for averages); semantics:
// tfjs-backend-cpu utils/pool_utils.ts (pool, maxPoolPositions) and kernels/MaxPoolGrad.ts,
// AvgPoolGrad.ts.
//
// Shared parameters (all i32, validated by the JS caller, src/backend/pool_impl.ts):
//   batch, inH, inW, C      input  [batch, inH, inW, C]
//   outH, outW              output [batch, outH, outW, C]; output (oh, ow) reads the taps
//                           (oh*sH - padTop + i*dH, ow*sW - padLeft + j*dW), 0 <= i < fH,
//                           0 <= j < fW; taps outside the input are skipped (padding)
//   fH, fW, sH, sW, dH, dW  filter size, strides, dilations (all >= 1)
// Pointers are byte offsets into linear memory; loads may be unaligned. Only in-bounds taps
// are ever loaded, so any shape the caller accepts is trap-free.

const NEG_INF: f32 = -Infinity;

/** First tap index k >= 0 with corner + k*d >= 0. */
// @ts-ignore: decorator
@inline function tapBegin(corner: i32, d: i32): i32 {
  return corner >= 0 ? 0 : (d - 1 - corner) / d;
}

/** One past the last tap index k < f with corner + k*d < n (may be <= tapBegin: no taps). */
// @ts-ignore: decorator
@inline function tapEnd(corner: i32, d: i32, f: i32, n: i32): i32 {
  if (corner >= n) return 0;
  const e = (n - 1 - corner) / d + 1;
  return e < f ? e : f;
}

// @ts-ignore: decorator
@inline function span(begin: i32, end: i32): i32 {
  return end > begin ? end - begin : 0;
}

/**
 * Max of an nr×nc window of taps (first tap at `first`, rows `rowStep` bytes apart, columns
 * `colStep`), all C channels, into `out`. cpu rule `if (x > m) m = x` from m = -Inf:
 * f32x4.pmax(m, x) = (m < x ? x : m), so NaN taps are ignored and an empty / all-NaN window
 * gives -Infinity; ±0 ties keep the first.
 */
// @ts-ignore: decorator
@inline function maxWindow(first: usize, out: usize, C: i32, nr: i32, nc: i32, rowStep: usize, colStep: usize): void {
  const ninf = f32x4.splat(NEG_INF);
  let c = 0;
  for (; c + 16 <= C; c += 16) {
    let a0 = ninf, a1 = ninf, a2 = ninf, a3 = ninf;
    let row = first + (<usize>c << 2);
    for (let i = 0; i < nr; i++) {
      let p = row;
      for (let j = 0; j < nc; j++) {
        a0 = f32x4.pmax(a0, v128.load(p));
        a1 = f32x4.pmax(a1, v128.load(p, 16));
        a2 = f32x4.pmax(a2, v128.load(p, 32));
        a3 = f32x4.pmax(a3, v128.load(p, 48));
        p += colStep;
      }
      row += rowStep;
    }
    const o = out + (<usize>c << 2);
    v128.store(o, a0);
    v128.store(o, a1, 16);
    v128.store(o, a2, 32);
    v128.store(o, a3, 48);
  }
  for (; c + 4 <= C; c += 4) {
    let a = ninf;
    let row = first + (<usize>c << 2);
    for (let i = 0; i < nr; i++) {
      let p = row;
      for (let j = 0; j < nc; j++) {
        a = f32x4.pmax(a, v128.load(p));
        p += colStep;
      }
      row += rowStep;
    }
    v128.store(out + (<usize>c << 2), a);
  }
  if (c < C && C >= 4) {
    // C % 4 tail: one more vector over the last 4 channels, overlapping the ones just stored
    // (their lanes get the same values again).
    c = C - 4;
    let a = ninf;
    let row = first + (<usize>c << 2);
    for (let i = 0; i < nr; i++) {
      let p = row;
      for (let j = 0; j < nc; j++) {
        a = f32x4.pmax(a, v128.load(p));
        p += colStep;
      }
      row += rowStep;
    }
    v128.store(out + (<usize>c << 2), a);
    c = C;
  }
  for (; c < C; c++) {
    let m = NEG_INF;
    let row = first + (<usize>c << 2);
    for (let i = 0; i < nr; i++) {
      let p = row;
      for (let j = 0; j < nc; j++) {
        const v = load<f32>(p);
        if (v > m) m = v;
        p += colStep;
      }
      row += rowStep;
    }
    store<f32>(out + (<usize>c << 2), m);
  }
}

/** Sum of an nr×nc window (as maxWindow), times `scale`, into `out`. NaN/Inf propagate. */
// @ts-ignore: decorator
@inline function avgWindow(first: usize, out: usize, C: i32, nr: i32, nc: i32, rowStep: usize, colStep: usize, scale: f32): void {
  const zero = f32x4.splat(0);
  const s = f32x4.splat(scale);
  let c = 0;
  for (; c + 16 <= C; c += 16) {
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    let row = first + (<usize>c << 2);
    for (let i = 0; i < nr; i++) {
      let p = row;
      for (let j = 0; j < nc; j++) {
        a0 = f32x4.add(a0, v128.load(p));
        a1 = f32x4.add(a1, v128.load(p, 16));
        a2 = f32x4.add(a2, v128.load(p, 32));
        a3 = f32x4.add(a3, v128.load(p, 48));
        p += colStep;
      }
      row += rowStep;
    }
    const o = out + (<usize>c << 2);
    v128.store(o, f32x4.mul(a0, s));
    v128.store(o, f32x4.mul(a1, s), 16);
    v128.store(o, f32x4.mul(a2, s), 32);
    v128.store(o, f32x4.mul(a3, s), 48);
  }
  for (; c + 4 <= C; c += 4) {
    let a = zero;
    let row = first + (<usize>c << 2);
    for (let i = 0; i < nr; i++) {
      let p = row;
      for (let j = 0; j < nc; j++) {
        a = f32x4.add(a, v128.load(p));
        p += colStep;
      }
      row += rowStep;
    }
    v128.store(out + (<usize>c << 2), f32x4.mul(a, s));
  }
  if (c < C && C >= 4) {
    // C % 4 tail: the last 4 channels as one vector, overlapping (same sums in the same order).
    c = C - 4;
    let a = zero;
    let row = first + (<usize>c << 2);
    for (let i = 0; i < nr; i++) {
      let p = row;
      for (let j = 0; j < nc; j++) {
        a = f32x4.add(a, v128.load(p));
        p += colStep;
      }
      row += rowStep;
    }
    v128.store(out + (<usize>c << 2), f32x4.mul(a, s));
    c = C;
  }
  for (; c < C; c++) {
    let a: f32 = 0;
    let row = first + (<usize>c << 2);
    for (let i = 0; i < nr; i++) {
      let p = row;
      for (let j = 0; j < nc; j++) {
        a += load<f32>(p);
        p += colStep;
      }
      row += rowStep;
    }
    store<f32>(out + (<usize>c << 2), a * scale);
  }
}

// Divisor modes of avgPool2d / avgPoolGrad2d (the same numbers are in src/backend/pool_impl.ts).
/** 0: tfjs `avgPool` forward and PyTorch count_include_pad=False: in-bounds taps of the window. */
const AVG_COUNT_VALID: i32 = 0;
/** 1: PyTorch count_include_pad=True: taps inside the padded input [-padTop, inH+padBottom). */
const AVG_COUNT_PADDED: i32 = 1;
/** 2 (and any other value): tfjs-backend-cpu `AvgPoolGrad`: the filter area fH*fW. */
// @ts-ignore: unused, documents the mode
const AVG_COUNT_FILTER: i32 = 2;

/**
 * Max pooling, NHWC float32: y[b,oh,ow,c] = max over the in-bounds taps of the window.
 * Mirrors tfjs-backend-cpu `pool(..., 'max')`: NaN taps are ignored; a window whose taps are
 * all NaN / -Inf, or that has no in-bounds tap, gives -Infinity. x: [batch,inH,inW,C],
 * y: [batch,outH,outW,C] (must not alias x).
 */
export function maxPool2d(x: usize, y: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32, fH: i32, fW: i32, sH: i32, sW: i32, dH: i32, dW: i32,
    padTop: i32, padLeft: i32): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  const rowStep = <usize>dH * rowBytes;
  const colStep = <usize>dW * pixel;
  // Columns ow in [owA, owB) have their whole window row inside the input (no per-pixel
  // clipping, whose divisions cost as much as a small window's maxima).
  const owA = min(outW, (padLeft + sW - 1) / sW);
  const lim = inW + padLeft - (fW - 1) * dW;
  const owB = max(owA, min(outW, lim <= 0 ? 0 : (lim - 1) / sW + 1));
  let out = y;
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * <usize>inH * rowBytes;
    for (let oh = 0; oh < outH; oh++) {
      const rc = oh * sH - padTop;
      const r0 = tapBegin(rc, dH);
      const nr = span(r0, tapEnd(rc, dH, fH, inH));
      const xr = xb + <usize>(rc + r0 * dH) * rowBytes;
      for (let ow = 0; ow < outW; ow++) {
        const cc = ow * sW - padLeft;
        const inside = ow >= owA && ow < owB;
        const c0 = inside ? 0 : tapBegin(cc, dW);
        const nc = inside ? fW : span(c0, tapEnd(cc, dW, fW, inW));
        maxWindow(xr + <usize>(cc + c0 * dW) * pixel, out, C, nr, nc, rowStep, colStep);
        out += pixel;
      }
    }
  }
}

/**
 * Average pooling, NHWC float32: y = (sum of the in-bounds taps) * (1 / divisor), with the
 * divisor chosen by `mode`: AVG_COUNT_VALID (tfjs avgPool; an empty window gives NaN = 0/0),
 * AVG_COUNT_PADDED (PyTorch count_include_pad=True: taps inside the padded input
 * [-padTop, inH+padBottom) × [-padLeft, inW+padRight)), AVG_COUNT_FILTER (fH*fW).
 * x: [batch,inH,inW,C], y: [batch,outH,outW,C] (must not alias x).
 */
export function avgPool2d(x: usize, y: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32, fH: i32, fW: i32, sH: i32, sW: i32, dH: i32, dW: i32,
    padTop: i32, padLeft: i32, padBottom: i32, padRight: i32, mode: i32): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  const rowStep = <usize>dH * rowBytes;
  const colStep = <usize>dW * pixel;
  const filterScale: f32 = <f32>1 / <f32>(fH * fW);
  let out = y;
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * <usize>inH * rowBytes;
    for (let oh = 0; oh < outH; oh++) {
      const rc = oh * sH - padTop;
      const r0 = tapBegin(rc, dH);
      const nr = span(r0, tapEnd(rc, dH, fH, inH));
      const pr = tapEnd(rc + padTop, dH, fH, inH + padTop + padBottom);
      const xr = xb + <usize>(rc + r0 * dH) * rowBytes;
      for (let ow = 0; ow < outW; ow++) {
        const cc = ow * sW - padLeft;
        const c0 = tapBegin(cc, dW);
        const nc = span(c0, tapEnd(cc, dW, fW, inW));
        let scale = filterScale;
        if (mode == AVG_COUNT_VALID) {
          scale = <f32>1 / <f32>(nr * nc);
        } else if (mode == AVG_COUNT_PADDED) {
          const pc = tapEnd(cc + padLeft, dW, fW, inW + padLeft + padRight);
          scale = <f32>1 / <f32>(pr * pc);
        }
        avgWindow(xr + <usize>(cc + c0 * dW) * pixel, out, C, nr, nc, rowStep, colStep, scale);
        out += pixel;
      }
    }
  }
}

/**
 * Zeroes rows [from, to) (to clipped to inH) of a [inH, rowBytes] image at `img`; returns the
 * new zeroed-up-to row. The gradients zero dx lazily, just ahead of the windows that scatter
 * into it, so the zeroed rows are still in cache when they are updated.
 */
// @ts-ignore: decorator
@inline function zeroRowsTo(img: usize, from: i32, to: i32, inH: i32, rowBytes: usize): i32 {
  const end = to < inH ? to : inH;
  if (end > from) memory.fill(img + <usize>from * rowBytes, 0, <usize>(end - from) * rowBytes);
  return end > from ? end : from;
}

/** dx[base + at] += v, unless at < 0 (the lane had no max). */
// @ts-ignore: decorator
@inline function addAt(base: usize, at: i32, v: f32): void {
  if (at >= 0) {
    const q = base + <usize>at;
    store<f32>(q, load<f32>(q) + v);
  }
}

/** Scatters the 4 lanes of g to base + idx[l] + 4*l (lanes with idx[l] < 0 are skipped). */
// @ts-ignore: decorator
@inline function scatter4(base: usize, idx: v128, g: v128): void {
  addAt(base, i32x4.extract_lane(idx, 0), f32x4.extract_lane(g, 0));
  addAt(base + 4, i32x4.extract_lane(idx, 1), f32x4.extract_lane(g, 1));
  addAt(base + 8, i32x4.extract_lane(idx, 2), f32x4.extract_lane(g, 2));
  addAt(base + 12, i32x4.extract_lane(idx, 3), f32x4.extract_lane(g, 3));
}

/**
 * Gradient of max pooling, NHWC float32 (tfjs-backend-cpu `MaxPoolGrad`): dx = 0, then for
 * every output pixel and channel, dy is added to the FIRST tap (window scan order, row-major)
 * holding the window max: strict `x > m` from m = -Inf, so NaN taps never win and a window
 * whose taps are all NaN / -Inf (or that has none in bounds) passes no gradient.
 * SIMD: one pass over the taps keeps per-lane maxima and the byte offset of their tap
 * (bitselect on f32x4.gt), then each lane's dy is scattered to its argmax (4 scalar adds).
 * x: [batch,inH,inW,C] (the forward input, < 2 GiB), dx: same shape, dy: [batch,dyH,dyW,C] with
 * dyH >= outH, dyW >= outW (only the leading outH×outW block is read: tfjs' gradient recomputes
 * the output shape without dimRoundingMode, and cpu then reads dy the same way).
 */
export function maxPoolGrad2d(x: usize, dy: usize, dx: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32, dyH: i32, dyW: i32, fH: i32, fW: i32, sH: i32, sW: i32, dH: i32, dW: i32,
    padTop: i32, padLeft: i32): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  const rowStep = <usize>dH * rowBytes;
  const colStep = <usize>dW * pixel;
  const ninf = f32x4.splat(NEG_INF);
  const none = i32x4.splat(-1);
  for (let b = 0; b < batch; b++) {
    const boff = <usize>b * <usize>inH * rowBytes;
    let zeroed = 0;
    for (let oh = 0; oh < outH; oh++) {
      const rc = oh * sH - padTop;
      zeroed = zeroRowsTo(dx + boff, zeroed, rc + (fH - 1) * dH + 1, inH, rowBytes);
      const r0 = tapBegin(rc, dH);
      const nr = span(r0, tapEnd(rc, dH, fH, inH));
      const rowOff = boff + <usize>(rc + r0 * dH) * rowBytes;
      let g = dy + ((<usize>b * <usize>dyH + <usize>oh) * <usize>dyW) * pixel;
      for (let ow = 0; ow < outW; ow++) {
        const cc = ow * sW - padLeft;
        const c0 = tapBegin(cc, dW);
        const nc = span(c0, tapEnd(cc, dW, fW, inW));
        const off = rowOff + <usize>(cc + c0 * dW) * pixel;
        const xw = x + off, dxw = dx + off;
        let c = 0;
        for (; c + 8 <= C; c += 8) {
          const co = <usize>c << 2;
          let m0 = ninf, m1 = ninf, i0 = none, i1 = none;
          let row: usize = 0;
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              const q = xw + co + p;
              const v0 = v128.load(q), v1 = v128.load(q, 16);
              const gt0 = f32x4.gt(v0, m0), gt1 = f32x4.gt(v1, m1);
              const at = i32x4.splat(<i32>p);
              m0 = v128.bitselect(v0, m0, gt0);
              m1 = v128.bitselect(v1, m1, gt1);
              i0 = v128.bitselect(at, i0, gt0);
              i1 = v128.bitselect(at, i1, gt1);
              p += colStep;
            }
            row += rowStep;
          }
          const g0 = v128.load(g + co), g1 = v128.load(g + co, 16);
          const d0 = dxw + co, d1 = d0 + 16;
          scatter4(d0, i0, g0);
          scatter4(d1, i1, g1);
        }
        for (; c + 4 <= C; c += 4) {
          const co = <usize>c << 2;
          let m = ninf, idx = none;
          let row: usize = 0;
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              const v = v128.load(xw + co + p);
              const gt = f32x4.gt(v, m);
              m = v128.bitselect(v, m, gt);
              idx = v128.bitselect(i32x4.splat(<i32>p), idx, gt);
              p += colStep;
            }
            row += rowStep;
          }
          const gv = v128.load(g + co);
          const d = dxw + co;
          scatter4(d, idx, gv);
        }
        for (; c < C; c++) {
          const co = <usize>c << 2;
          let m = NEG_INF;
          let at: isize = -1;
          let row: usize = 0;
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              const v = load<f32>(xw + co + p);
              if (v > m) { m = v; at = <isize>p; }
              p += colStep;
            }
            row += rowStep;
          }
          if (at >= 0) {
            const q = dxw + co + <usize>at;
            store<f32>(q, load<f32>(q) + load<f32>(g + co));
          }
        }
        g += pixel;
      }
    }
    zeroRowsTo(dx + boff, zeroed, inH, inH, rowBytes);
  }
}

/**
 * Gradient of average pooling, NHWC float32: dx = 0, then every output pixel adds
 * dy * (1 / divisor) to each in-bounds tap of its window; `mode` picks the divisor as in
 * avgPool2d. tfjs-backend-cpu `AvgPoolGrad` uses AVG_COUNT_FILTER (fH*fW even where the
 * forward divided by fewer in-bounds taps); AVG_COUNT_VALID is the exact gradient of the tfjs
 * forward, AVG_COUNT_PADDED that of PyTorch count_include_pad=True.
 * dx: [batch,inH,inW,C], dy: [batch,dyH,dyW,C] with dyH >= outH, dyW >= outW (leading block read).
 */
export function avgPoolGrad2d(dy: usize, dx: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32, dyH: i32, dyW: i32, fH: i32, fW: i32, sH: i32, sW: i32, dH: i32, dW: i32,
    padTop: i32, padLeft: i32, padBottom: i32, padRight: i32, mode: i32): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  const rowStep = <usize>dH * rowBytes;
  const colStep = <usize>dW * pixel;
  const filterScale: f32 = <f32>1 / <f32>(fH * fW);
  for (let b = 0; b < batch; b++) {
    const db = dx + <usize>b * <usize>inH * rowBytes;
    let zeroed = 0;
    for (let oh = 0; oh < outH; oh++) {
      const rc = oh * sH - padTop;
      zeroed = zeroRowsTo(db, zeroed, rc + (fH - 1) * dH + 1, inH, rowBytes);
      const r0 = tapBegin(rc, dH);
      const nr = span(r0, tapEnd(rc, dH, fH, inH));
      const pr = tapEnd(rc + padTop, dH, fH, inH + padTop + padBottom);
      const dr = db + <usize>(rc + r0 * dH) * rowBytes;
      let g = dy + ((<usize>b * <usize>dyH + <usize>oh) * <usize>dyW) * pixel;
      for (let ow = 0; ow < outW; ow++) {
        const cc = ow * sW - padLeft;
        const c0 = tapBegin(cc, dW);
        const nc = span(c0, tapEnd(cc, dW, fW, inW));
        let scale = filterScale;
        if (mode == AVG_COUNT_VALID) {
          scale = <f32>1 / <f32>(nr * nc);
        } else if (mode == AVG_COUNT_PADDED) {
          const pc = tapEnd(cc + padLeft, dW, fW, inW + padLeft + padRight);
          scale = <f32>1 / <f32>(pr * pc);
        }
        const dw = dr + <usize>(cc + c0 * dW) * pixel;
        const s = f32x4.splat(scale);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const co = <usize>c << 2;
          const gv = f32x4.mul(v128.load(g + co), s);
          let row = dw + co;
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              v128.store(p, f32x4.add(v128.load(p), gv));
              p += colStep;
            }
            row += rowStep;
          }
        }
        for (; c < C; c++) {
          const co = <usize>c << 2;
          const gs = load<f32>(g + co) * scale;
          let row = dw + co;
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              store<f32>(p, load<f32>(p) + gs);
              p += colStep;
            }
            row += rowStep;
          }
        }
        g += pixel;
      }
    }
    zeroRowsTo(db, zeroed, inH, inH, rowBytes);
  }
}
