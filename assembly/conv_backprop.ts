// Convolution gradients (NHWC activations, HWIO filters), the kernels behind tfjs'
// Conv2DBackpropInput (= the forward of conv2dTranspose) and Conv2DBackpropFilter.
// Pointer-based (byte offsets into linear memory), allocation-free, f32x4 SIMD; relaxed-SIMD
// builds use fused multiply-add. Both are GEMMs whose reduction runs over contiguous memory:
//   dx: per output phase, K = (kx in the phase) × outC — a run of adjacent dy pixels;
//   dw: per filter row ky, M = kw × inC — a run of adjacent x pixels.
// Borders are removed up front by zero-padded copies (convBackpropPadSpatial), so the inner
// loops have no bounds tests. The TS glue (src/backend/conv_backprop_impl.ts) sets up the
// copies and guarantees the preconditions stated on each export; all sizes are ≥ 1.

/** a mod b in [0, b) for b > 0. */
// @ts-ignore: decorator
@inline function posMod(a: i32, b: i32): i32 {
  const r = a % b;
  return r < 0 ? r + b : r;
}

/** Number of taps t in [0, k) with t ≡ r (mod s), for 0 ≤ r < s. */
// @ts-ignore: decorator
@inline function tapsInClass(k: i32, r: i32, s: i32): i32 {
  return r < k ? (k - r + s - 1) / s : 0;
}

/** acc + a·b: fused on relaxed-SIMD builds, mul then add otherwise. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(f32x4.mul(a, b), acc);
}

// ---- copies ------------------------------------------------------------------------------------

/**
 * Zero-padded window copy, per image b < n:
 *   dst[b, r, q, :] = src[b, r − top, q − left, :] when 0 ≤ r − top < rows and 0 ≤ q − left < cols,
 *   else 0,   for r < hp, q < wp.
 * src [n, srcH, srcW, c] (rows ≤ srcH, cols ≤ srcW: only its top-left rows×cols window is read);
 * dst [n, hp, wp, c]. top/left may be negative (the window then starts inside src).
 */
export function convBackpropPadSpatial(src: usize, srcH: i32, srcW: i32, dst: usize, n: i32, c: i32,
    rows: i32, cols: i32, hp: i32, wp: i32, top: i32, left: i32): void {
  const pix = <usize>c << 2;
  const srcRow = <usize>srcW * pix;
  const dstRow = <usize>wp * pix;
  // destination columns [q0, q1) come from source columns [q0 − left, q1 − left)
  const q0 = max(0, left), q1 = min(wp, cols + left);
  for (let b = 0; b < n; b++) {
    const s = src + <usize>b * <usize>srcH * srcRow;
    const d = dst + <usize>b * <usize>hp * dstRow;
    for (let r = 0; r < hp; r++) {
      const dr = d + <usize>r * dstRow;
      const iy = r - top;
      if (iy < 0 || iy >= rows || q0 >= q1) {
        memory.fill(dr, 0, dstRow);
        continue;
      }
      if (q0 > 0) memory.fill(dr, 0, <usize>q0 * pix);
      memory.copy(dr + <usize>q0 * pix, s + <usize>iy * srcRow + <usize>(q0 - left) * pix, <usize>(q1 - q0) * pix);
      if (q1 < wp) memory.fill(dr + <usize>q1 * pix, 0, <usize>(wp - q1) * pix);
    }
  }
}

/**
 * Copies `rows` rows of `c` floats from `src` into rows of `cP ≥ c` floats at `dst`,
 * zero-filling the `cP − c` extra floats of each row.
 */
export function convBackpropPadChannels(src: usize, dst: usize, rows: i32, c: i32, cP: i32): void {
  const srcRow = <usize>c << 2;
  const dstRow = <usize>cP << 2;
  const extra = <usize>(cP - c) << 2;
  for (let r = 0; r < rows; r++) {
    const d = dst + <usize>r * dstRow;
    memory.copy(d, src + <usize>r * srcRow, srcRow);
    if (extra > 0) memory.fill(d + srcRow, 0, extra);
  }
}

/**
 * src [outer][rowsP][cP] → dst [outer][rows][c] (rows ≤ rowsP, c ≤ cP): the first `c` floats
 * of the first `rows` rows of every block.
 */
export function convBackpropCropChannels(src: usize, dst: usize, outer: i32, rows: i32, rowsP: i32,
    c: i32, cP: i32): void {
  const srcRow = <usize>cP << 2;
  const dstRow = <usize>c << 2;
  for (let o = 0; o < outer; o++) {
    const s0 = src + <usize>o * <usize>rowsP * srcRow;
    const d0 = dst + <usize>o * <usize>rows * dstRow;
    for (let r = 0; r < rows; r++) memory.copy(d0 + <usize>r * dstRow, s0 + <usize>r * srcRow, dstRow);
  }
}

// ---- Conv2DBackpropInput ------------------------------------------------------------------------

/**
 * Byte offset, inside convBackpropPackFilterPhases' output, of tap class (ry, rx): the classes
 * are stored in (ry, rx) order, each tapsInClass(kh, ry, sh)·tapsInClass(kw, rx, sw)·co·ciP floats.
 */
function classOffset(ry: i32, rx: i32, kh: i32, kw: i32, sh: i32, sw: i32, co: i32, ciP: i32): usize {
  let taps = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      if (y == ry && x == rx) return <usize>taps * <usize>co * <usize>ciP * 4;
      taps += tapsInClass(kh, y, sh) * tapsInClass(kw, x, sw);
    }
  }
  return <usize>taps * <usize>co * <usize>ciP * 4;
}

/**
 * Packs a filter w [kh, kw, ci, co] (HWIO) for conv2dBackpropInputNhwc. Taps are grouped by
 * class (ry, rx) = (ky mod sh, kx mod sw) — the taps one output phase meets. Per class, per
 * block b of 8 input channels, per ky = ry + i·sh (i ascending): nkx·co rows of 8 floats,
 * row (i', k) = w[ky, kx, 8b..8b+8, k] with kx = rx + (nkx − 1 − i')·sw (kx descending, so the
 * rows follow adjacent dy pixels left to right), zero beyond ci. Total kh·kw·co·ciP floats,
 * ciP = ceil8(ci).
 */
export function convBackpropPackFilterPhases(w: usize, dst: usize, kh: i32, kw: i32, ci: i32, co: i32,
    sh: i32, sw: i32): void {
  const nb = (ci + 7) >> 3;
  const rowBytes = <usize>co * 4;          // w[ky, kx, c, :]
  const tapBytes = <usize>ci * rowBytes;   // w[ky, kx, :, :]
  let d = dst;
  for (let ry = 0; ry < sh; ry++) {
    const nky = tapsInClass(kh, ry, sh);
    for (let rx = 0; rx < sw; rx++) {
      const nkx = tapsInClass(kw, rx, sw);
      for (let b = 0; b < nb; b++) {
        for (let i = 0; i < nky; i++) {
          const ky = ry + i * sh;
          for (let i2 = 0; i2 < nkx; i2++) {
            const kx = rx + (nkx - 1 - i2) * sw;
            const wt = w + <usize>(ky * kw + kx) * tapBytes;
            for (let k = 0; k < co; k++) {
              for (let l = 0; l < 8; l++) {
                const c = (b << 3) + l;
                store<f32>(d, c < ci ? load<f32>(wt + <usize>c * rowBytes + (<usize>k << 2)) : 0);
                d += 4;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * dx = conv2dBackpropInput(dy, w): the gradient of a stride-(sh, sw), pad-(pt, pl) NHWC
 * cross-correlation with respect to its input (the transposed convolution),
 *   dx[n, y, x, ci] = Σ dy[n, oy, ox, co] · w[ky, kx, ci, co]  over y = oy·sh − pt + ky,
 *                                                                     x = ox·sw − pl + kx.
 * Split into sh×sw sub-convolutions (XNNPACK's subconv2d): a dx pixel of phase (y mod sh, x mod sw)
 * only meets the taps of class ((y + pt) mod sh, (x + pl) mod sw), so no multiply touches an
 * inserted zero. Within a phase row, consecutive dx pixels read consecutive dy pixels, and the
 * taps kx of the class read adjacent dy pixels too: per filter row ky, a dx pixel's reduction is
 * one contiguous run of nkx·co dy floats. 4 same-phase dx pixels × 8 input channels accumulate in
 * registers over every ky of the class, then are stored.
 *
 * dy [n, dyH, dyW, co]: the conv's output dy column ox is stored at column ox + dyLeft, and every
 * column a phase reads — ox from (x + pl − kx)/sw over the dx row — lies inside [0, dyW) and holds
 * zero outside the real output (see convBackpropPadSpatial); rows oy < ho are read, invalid rows
 * are skipped. wp = convBackpropPackFilterPhases(w); dx [n, h, w, ciP] (fully written; padded
 * channels get zeros).
 */
export function conv2dBackpropInputNhwc(dy: usize, dyH: i32, dyW: i32, dyLeft: i32, wp: usize, dx: usize,
    n: i32, h: i32, w: i32, ciP: i32, ho: i32, co: i32,
    kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  const dyPix = <usize>co << 2;
  const dyRow = <usize>dyW * dyPix;
  const dyImg = <usize>dyH * dyRow;
  const dxPix = <usize>ciP << 2;
  const dxStep = <usize>sw * dxPix;               // between same-phase dx pixels of a row
  const nb = ciP >> 3;
  for (let b = 0; b < n; b++) {
    const dyB = dy + <usize>b * dyImg;
    for (let y = 0; y < h; y++) {
      const ry = posMod(y + pt, sh);
      const nky = tapsInClass(kh, ry, sh);
      const dxRow = dx + (<usize>b * <usize>h + <usize>y) * <usize>w * dxPix;
      for (let px = 0; px < sw && px < w; px++) {
        const rx = posMod(px + pl, sw);
        const nkx = tapsInClass(kw, rx, sw);
        const cnt = (w - px + sw - 1) / sw;        // dx pixels of this phase in the row
        const kLen = <usize>nkx * dyPix;           // bytes of one dy run
        const panelRow = <usize>nkx * <usize>co * 32;  // packed bytes per ky, per block
        const classBase = wp + classOffset(ry, rx, kh, kw, sh, sw, co, ciP);
        // dy column of the run of the phase's first pixel (its leftmost tap is kx = rx + (nkx−1)·sw)
        const col0 = (px + pl - rx) / sw - (nkx - 1) + dyLeft;  // exact: px + pl − rx ≡ 0 (mod sw)
        for (let j0 = 0; j0 < cnt; j0 += 4) {
          const mr = min(4, cnt - j0);
          const out = dxRow + <usize>px * dxPix + <usize>j0 * dxStep;
          const colOff = <usize>(col0 + j0) * dyPix;
          // pixels past the row end alias pixel 0 (their sums are discarded)
          const s1: usize = mr > 1 ? dyPix : 0, s2: usize = mr > 2 ? 2 * dyPix : 0, s3: usize = mr > 3 ? 3 * dyPix : 0;
          for (let blk = 0; blk < nb; blk++) {
            let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
            let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
            if (nkx > 0) {
              for (let i = 0; i < nky; i++) {
                const oy = (y + pt - ry - i * sh) / sh;  // exact: y + pt − ky ≡ 0 (mod sh)
                if (oy < 0 || oy >= ho) continue;
                // one pass per float of the run: pointer bumps, no unrolling (an unrolled body
                // lets Binaryen hoist every load, and V8 then spills accumulators)
                let p0 = dyB + <usize>oy * dyRow + colOff;
                let p1 = p0 + s1, p2 = p0 + s2, p3 = p0 + s3;
                let bp = classBase + (<usize>blk * <usize>nky + <usize>i) * panelRow;
                const bEnd = bp + (kLen << 3);          // 8 packed floats per dy float
                while (bp < bEnd) {
                  const b0 = v128.load(bp), b1 = v128.load(bp, 16);
                  const x0 = v128.load32_splat(p0), x1 = v128.load32_splat(p1);
                  const x2 = v128.load32_splat(p2), x3 = v128.load32_splat(p3);
                  c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01); c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
                  c20 = madd(x2, b0, c20); c21 = madd(x2, b1, c21); c30 = madd(x3, b0, c30); c31 = madd(x3, b1, c31);
                  p0 += 4; p1 += 4; p2 += 4; p3 += 4;
                  bp += 32;
                }
              }
            }
            const o = out + (<usize>blk << 5);
            v128.store(o, c00); v128.store(o, c01, 16);
            if (mr > 1) { v128.store(o + dxStep, c10); v128.store(o + dxStep, c11, 16); }
            if (mr > 2) { v128.store(o + 2 * dxStep, c20); v128.store(o + 2 * dxStep, c21, 16); }
            if (mr > 3) { v128.store(o + 3 * dxStep, c30); v128.store(o + 3 * dxStep, c31, 16); }
          }
        }
      }
    }
  }
}

// ---- Conv2DBackpropFilter -----------------------------------------------------------------------

/**
 * dw = conv2dBackpropFilter(x, dy): the gradient of a stride-(sh, sw) NHWC cross-correlation
 * with respect to its filter, on an input already padded by the forward conv's pads:
 *   dw[ky, kx, ci, co] = Σ_{n, oy, ox} x[n, oy·sh + ky, ox·sw + kx, ci] · dy[n, oy, ox, co].
 * For a filter row ky, (kx, c) flattens to m = kx·ci + c — the x floats of one output pixel's
 * receptive-field row are the contiguous run x[n, oy·sh + ky, ox·sw·ci + m] — so dw[ky] is an
 * M×co GEMM (M = kw·ci) reduced over output pixels. 4 (m) × 8 (co) register tiles accumulate over
 * a chunk of output rows (across images) sized to stay in cache; per chunk the tiles are loaded
 * from and stored back to dw in address order.
 *
 * x [n, xH, xW, ci] with (ho − 1)·sh + kh ≤ xH, (wo − 1)·sw + kw ≤ xW, and ≥ 16 readable bytes after
 * its last pixel when kw·ci is not a multiple of 4; dy [n, dyH, dyW, coP] (coP multiple of 8,
 * padded channels zero, dyH ≥ ho, dyW ≥ wo: its top-left ho×wo window is read);
 * dw [kh, mP, coP], mP = ceil4(kw·ci) (rows [mBegin, mEnd) of every ky written, 0 ≤ mBegin ≤ mEnd ≤ mP,
 * multiples of 4; a whole call passes 0, mP; rows ≥ kw·ci hold garbage).
 */
export function conv2dBackpropFilterNhwc(x: usize, xH: i32, xW: i32, dy: usize, dyH: i32, dyW: i32, dw: usize,
    n: i32, ci: i32, ho: i32, wo: i32, coP: i32, kh: i32, kw: i32, sh: i32, sw: i32, mBegin: i32, mEnd: i32): void {
  const xPix = <usize>ci << 2;
  const xRow = <usize>xW * xPix;
  const xStep = <usize>sw * xPix;
  const dyPix = <usize>coP << 2;
  const dyRow = <usize>dyW * dyPix;
  const mP = (kw * ci + 3) & ~3;
  const dwRow = dyPix;                             // one m row of dw: coP floats
  const dwKy = <usize>mP * dwRow;
  // Only dw rows m in [mBegin, mEnd) (multiples of 4) of every ky are computed: the worker
  // threads (src/backend/threads.ts) split a call in such ranges; one call passes 0, mP.
  for (let ky = 0; ky < kh; ky++) {
    memory.fill(dw + <usize>ky * dwKy + <usize>mBegin * dwRow, 0, <usize>(mEnd - mBegin) * dwRow);
  }
  // Passes over chunks of output rows, counted across the batch (row g = image g / ho, row
  // g mod ho): ≥ 256 output pixels per pass when possible (the 4×8 tiles are loaded from and
  // stored to dw once per pass), ≤ ~256 KiB of x and dy rows so a pass stays in cache.
  const xImg = <usize>xH * xRow;
  const dyImg = <usize>dyH * dyRow;
  const xRowStep = <usize>sh * xRow;
  const bytesPerRow = <usize>wo * dyPix + <usize>sh * xRow;
  const total = n * ho;
  let rows = max(1, (256 + wo - 1) / wo);
  const fit = <i32>min(<usize>total, max(<usize>1, (<usize>256 << 10) / bytesPerRow));
  if (rows > fit) rows = fit;
  for (let g0 = 0; g0 < total; g0 += rows) {
    const g1 = min(total, g0 + rows);
    const b0i = g0 / ho, oy0 = g0 - b0i * ho;
    for (let ky = 0; ky < kh; ky++) {
      for (let m0 = mBegin; m0 < mEnd; m0 += 4) {
        for (let c0 = 0; c0 < coP; c0 += 8) {
          const co4 = <usize>c0 << 2;
          const d = dw + <usize>ky * dwKy + <usize>m0 * dwRow + co4;
          let c00 = v128.load(d), c01 = v128.load(d, 16);
          let c10 = v128.load(d + dwRow), c11 = v128.load(d + dwRow, 16);
          let c20 = v128.load(d + 2 * dwRow), c21 = v128.load(d + 2 * dwRow, 16);
          let c30 = v128.load(d + 3 * dwRow), c31 = v128.load(d + 3 * dwRow, 16);
          let b = b0i, oy = oy0;
          let xr = x + <usize>b * xImg + <usize>(oy * sh + ky) * xRow + (<usize>m0 << 2);
          let dr = dy + <usize>b * dyImg + <usize>oy * dyRow + co4;
          for (let g = g0; g < g1; g++) {
            let xp = xr;
            let dp = dr;
            for (let ox = 0; ox < wo; ox++) {
              const b0 = v128.load(dp), b1 = v128.load(dp, 16);
              const a0 = v128.load32_splat(xp), a1 = v128.load32_splat(xp, 4);
              const a2 = v128.load32_splat(xp, 8), a3 = v128.load32_splat(xp, 12);
              c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01); c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
              c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21); c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
              xp += xStep;
              dp += dyPix;
            }
            if (++oy < ho) {
              xr += xRowStep;
              dr += dyRow;
            } else {                                  // next image
              oy = 0;
              b++;
              xr = x + <usize>b * xImg + <usize>ky * xRow + (<usize>m0 << 2);
              dr = dy + <usize>b * dyImg + co4;
            }
          }
          v128.store(d, c00); v128.store(d, c01, 16);
          v128.store(d + dwRow, c10); v128.store(d + dwRow, c11, 16);
          v128.store(d + 2 * dwRow, c20); v128.store(d + 2 * dwRow, c21, 16);
          v128.store(d + 3 * dwRow, c30); v128.store(d + 3 * dwRow, c31, 16);
        }
      }
    }
  }
}
