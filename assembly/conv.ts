// Forward 2-D convolution, NHWC input × HWIO filter → NHWC output, by indirect GEMM (IGEMM):
// Dukhan, "The Indirect Convolution Algorithm" (arXiv 1907.02129), XNNPACK
// src/indirection.c xnn_indirection_init_conv2d + src/f32-igemm. Mirrors tfjs Conv2D /
// FusedConv2D (tfjs-backend-cpu/src/kernels/Conv2D.ts): stride, dilation and any padding
// (same/valid/explicit/asymmetric, as computed by backend_util.computeConv2DInfo) are just
// the pointers of the indirection buffer. Pointers are byte offsets; nothing here allocates.
import { igemm_4x8, dconv_4x8, dconv_1x8 } from './gen/gemm_kernels';
import { gemm_chunk_columns } from './gemm';

/** Rows (output pixels) per tile of the indirection buffer = the IGEMM kernel's MR. */
const MR: i32 = 4;
const NR: i32 = 8;

/** Byte offset (relative to x) of input pixel (iy, ix) of image `img`, or `zero` outside it. */
// @ts-ignore: decorator
@inline
function pixelOffset(img: i32, iy: i32, ix: i32, h: i32, w: i32, rowBytes: usize, zero: u32, valid: bool): u32 {
  return valid ? <u32>(<usize>((img * h + iy) * w + ix) * rowBytes) : zero;
}

/** u32 fields per indirection record: B offset, kc, then MR row offsets. */
const RECORD: i32 = 2 + MR;

/** Bytes of the indirection buffer conv2d_indirection writes at most for m output pixels. */
export function conv2d_indirection_bytes(m: i32, taps: i32): usize {
  const tiles = <usize>((m + MR - 1) / MR);
  return tiles * (4 + <usize>taps * (4 * RECORD));
}

/**
 * Builds the indirection buffer for the mCount output pixels mStart.. (pixel index =
 * (image·outH + oy)·outW + ox) in tiles of 4: per tile a u32 record count, then records of 6
 * u32: (byte offset of the record's first filter row inside a packed panel = tap·cin·32, kc =
 * its length in k, then 4 byte offsets relative to x of the 4 pixels' input values, or `zero`
 * for a pixel whose tap falls in the padding). A record is one tap (kc = cin) or, with dw = 1,
 * a run of horizontally adjacent taps inside the image for all 4 pixels: NHWC makes their
 * inputs one contiguous run of kc = run·cin floats per pixel, as their filter rows are in the
 * panel. Taps in the padding for all 4 pixels are skipped (no multiplies by zeros).
 * Pixels past the range in the last tile repeat its last pixel. Geometry as in computeConv2DInfo:
 * input [batch, h, w, cin], output pixel (oy, ox) reads (oy·sh - padTop + ky·dh,
 * ox·sw - padLeft + kx·dw). dst needs conv2d_indirection_bytes(mCount, kh·kw) bytes.
 * Returns the bytes written.
 */
export function conv2d_indirection(h: i32, w: i32, cin: i32, outH: i32, outW: i32,
    kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padTop: i32, padLeft: i32,
    mStart: i32, mCount: i32, zero: u32, dst: usize): usize {
  const m = mStart + mCount;
  const plane = outH * outW;
  const rowBytes = <usize>cin << 2;
  const tapBytes = <u32>(<usize>cin * (NR * 4));
  const merge = dw == 1;
  let p = dst;
  for (let t = mStart; t < m; t += MR) {
    // The tile's 4 pixels (aliasing the last one past m): image, top-left input corner.
    const m0 = t, m1 = min(t + 1, m - 1), m2 = min(t + 2, m - 1), m3 = min(t + 3, m - 1);
    const b0 = m0 / plane, b1 = m1 / plane, b2 = m2 / plane, b3 = m3 / plane;
    const q0 = m0 - b0 * plane, q1 = m1 - b1 * plane, q2 = m2 - b2 * plane, q3 = m3 - b3 * plane;
    const y0 = (q0 / outW) * sh - padTop, x0 = (q0 % outW) * sw - padLeft;
    const y1 = (q1 / outW) * sh - padTop, x1 = (q1 % outW) * sw - padLeft;
    const y2 = (q2 / outW) * sh - padTop, x2 = (q2 % outW) * sw - padLeft;
    const y3 = (q3 / outW) * sh - padTop, x3 = (q3 % outW) * sw - padLeft;
    const countAt = p;
    p += 4;
    let count: u32 = 0;
    for (let ky = 0; ky < kh; ky++) {
      const iy0 = y0 + ky * dh, iy1 = y1 + ky * dh, iy2 = y2 + ky * dh, iy3 = y3 + ky * dh;
      const vy0 = <u32>iy0 < <u32>h, vy1 = <u32>iy1 < <u32>h, vy2 = <u32>iy2 < <u32>h, vy3 = <u32>iy3 < <u32>h;
      if (!(vy0 || vy1 || vy2 || vy3)) continue;
      let open = false; // the last record is a run that the next all-valid tap may extend
      for (let kx = 0; kx < kw; kx++) {
        const ix0 = x0 + kx * dw, ix1 = x1 + kx * dw, ix2 = x2 + kx * dw, ix3 = x3 + kx * dw;
        const v0 = vy0 && <u32>ix0 < <u32>w, v1 = vy1 && <u32>ix1 < <u32>w;
        const v2 = vy2 && <u32>ix2 < <u32>w, v3 = vy3 && <u32>ix3 < <u32>w;
        const all = v0 && v1 && v2 && v3;
        if (open && all) {
          store<u32>(p - RECORD * 4 + 4, load<u32>(p - RECORD * 4 + 4) + <u32>cin);
          continue;
        }
        open = false;
        if (!(v0 || v1 || v2 || v3)) continue;
        store<u32>(p, <u32>(ky * kw + kx) * tapBytes);
        store<u32>(p, <u32>cin, 4);
        store<u32>(p, pixelOffset(b0, iy0, ix0, h, w, rowBytes, zero, v0), 8);
        store<u32>(p, pixelOffset(b1, iy1, ix1, h, w, rowBytes, zero, v1), 12);
        store<u32>(p, pixelOffset(b2, iy2, ix2, h, w, rowBytes, zero, v2), 16);
        store<u32>(p, pixelOffset(b3, iy3, ix3, h, w, rowBytes, zero, v3), 20);
        p += 4 * RECORD;
        count++;
        open = merge && all;
      }
    }
    store<u32>(countAt, count);
  }
  return p - dst;
}

/**
 * y = act(bias + conv2d(x, filter)) for m output pixels (rows of y [m, n], ldc bytes apart),
 * n = Cout, through the indirection buffer of conv2d_indirection (pointers relative to x)
 * and the filter packed by pack_gemm_b (k = kh·kw·cin; panels wPanel = k·32 bytes apart).
 * bias/alpha: ceil(n/8)·8 floats; act/lo/hi as gemm_f32. N is processed in chunks whose
 * panels fit in L2, every pixel tile per chunk.
 */
export function conv2d_f32(m: i32, n: i32, indirection: usize, x: usize, w: usize, wPanel: usize,
    bias: usize, alpha: usize, y: usize, ldc: i32, act: i32, lo: f32, hi: f32): void {
  const chunk = gemm_chunk_columns(wPanel);
  const sc = <usize>ldc;
  for (let n0 = 0; n0 < n; n0 += chunk) {
    const nc = min(chunk, n - n0);
    const wc = w + <usize>(n0 / NR) * wPanel;
    const bc = bias + (<usize>n0 << 2);
    const alc = alpha + (<usize>n0 << 2);
    const yc = y + (<usize>n0 << 2);
    let p = indirection;
    for (let t = 0; t < m; t += MR) {
      const records = load<i32>(p);
      const c0 = yc + <usize>t * sc;
      const c1 = yc + <usize>min(t + 1, m - 1) * sc;
      const c2 = yc + <usize>min(t + 2, m - 1) * sc;
      const c3 = yc + <usize>min(t + 3, m - 1) * sc;
      igemm_4x8(nc, p + 4, records, x, c0, c1, c2, c3, wc, wPanel, bc, alc, act, lo, hi);
      p += 4 + <usize>records * (4 * RECORD);
    }
  }
}

/** First k in [0, ∞) with start + k·step ≥ 0 (step > 0). */
// @ts-ignore: decorator
@inline
function firstInside(start: i32, step: i32): i32 {
  return start >= 0 ? 0 : (step - 1 - start) / step;
}

/** Number of k ≥ 0 with start + k·step < size, capped at taps (step > 0). */
// @ts-ignore: decorator
@inline
function endInside(start: i32, step: i32, size: i32, taps: i32): i32 {
  return size <= start ? 0 : min(taps, (size - start + step - 1) / step);
}

/**
 * Direct convolution for a small input depth (Cin·kw too small for the indirection buffer to
 * pay off: LeNet's Cin = 1 and 6, the 7×7 RGB stem): y = act(bias + conv2d(x, filter)) with the
 * same geometry and packed filter as conv2d_f32 (k = kh·kw·cin, panels wPanel = k·32 bytes
 * apart), but each output pixel reads its filter window in place: per output row the valid
 * kernel rows and, per pixel, the valid taps are clipped to the image (taps in the padding are
 * skipped, as tfjs-backend-cpu does, so no zero row is read), runs of horizontally adjacent taps
 * are one contiguous run of kw·cin floats when dw = 1, and pixels whose whole window row is
 * inside the image are computed 4 at a time (dconv_4x8; a row's last tile may overlap the one
 * before it), the rest one at a time (dconv_1x8).
 * x [batch, h, w, cin], y [batch, outH, outW, n] (NHWC, dense); bias/alpha: ceil(n/8)·8 floats;
 * act/lo/hi as gemm_f32.
 */
export function conv2d_direct_f32(batch: i32, h: i32, w: i32, cin: i32, outH: i32, outW: i32,
    kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padTop: i32, padLeft: i32, n: i32,
    x: usize, wt: usize, wPanel: usize, bias: usize, alpha: usize, y: usize, act: i32, lo: f32, hi: f32): void {
  conv2d_direct_rows_f32(h, w, cin, outH, outW, kh, kw, sh, sw, dh, dw, padTop, padLeft, n,
      x, wt, wPanel, bias, alpha, y, act, lo, hi, 0, batch * outH);
}

/**
 * conv2d_direct_f32 on the output rows r in [r0, r1) of the batch's stacked rows (r = b·outH +
 * oy), for splitting one call over threads (src/backend/threads.ts): every output value is
 * computed exactly as in the whole call, so a split result is bit-identical. Arguments as
 * conv2d_direct_f32 without `batch`.
 */
export function conv2d_direct_rows_f32(h: i32, w: i32, cin: i32, outH: i32, outW: i32,
    kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padTop: i32, padLeft: i32, n: i32,
    x: usize, wt: usize, wPanel: usize, bias: usize, alpha: usize, y: usize, act: i32, lo: f32, hi: f32,
    r0: i32, r1: i32): void {
  const chunk = gemm_chunk_columns(wPanel);
  const pixelBytes = <usize>cin << 2;
  const aRow = <usize>dh * <usize>w * pixelBytes;
  const tapBytes = <usize>cin * (NR * 4);
  const wRow = <usize>kw * tapBytes;
  const ldc = <usize>n << 2;
  const tap = dw == 1 ? 0 : <usize>dw * pixelBytes;
  // Output columns ox in [oxA, oxB) have every tap of a kernel row inside the image.
  const oxA = min(outW, (padLeft + sw - 1) / sw);
  const lastTap = (kw - 1) * dw - padLeft; // ix of the last tap for ox = 0
  const oxB = max(oxA, min(outW, w - lastTap <= 0 ? 0 : (w - lastTap - 1) / sw + 1));
  for (let n0 = 0; n0 < n; n0 += chunk) {
    const nc = min(chunk, n - n0);
    const wc = wt + <usize>(n0 / NR) * wPanel;
    const bc = bias + (<usize>n0 << 2);
    const alc = alpha + (<usize>n0 << 2);
    for (let r = r0; r < r1; r++) {
      {
        const b = r / outH, oy = r - b * outH;
        const iy = oy * sh - padTop;
        const ky0 = firstInside(iy, dh);
        const ky1 = endInside(iy, dh, h, kh);
        const ny = max(0, ky1 - ky0);
        const xRow = x + <usize>((b * h + (ny > 0 ? iy + ky0 * dh : 0)) * w) * pixelBytes;
        const wy = wc + <usize>(ky0 * kw) * tapBytes;
        const yRow = y + <usize>((b * outH + oy) * outW) * ldc + (<usize>n0 << 2);
        let ox = 0;
        while (ox < outW) {
          // The last 1-3 inside pixels of a row: a tile moved back over pixels already
          // computed (they get the same values again) when the row has 4 inside pixels.
          if (ox >= oxA && ox < oxB && ox + 4 > oxB && oxB - oxA >= 4) ox = oxB - 4;
          if (ox >= oxA && ox + 4 <= oxB) {
            const a0 = xRow + <usize>(ox * sw - padLeft) * pixelBytes;
            const step = <usize>sw * pixelBytes;
            const c0 = yRow + <usize>ox * ldc;
            dconv_4x8(nc, a0, c0, a0 + step, c0 + ldc, a0 + 2 * step, c0 + 2 * ldc, a0 + 3 * step, c0 + 3 * ldc,
                ny, aRow, wRow, dw == 1 ? 1 : kw, tap, dw == 1 ? kw * cin : cin,
                wy, wPanel, bc, alc, act, lo, hi);
            ox += 4;
            continue;
          }
          const ix = ox * sw - padLeft;
          const kx0 = firstInside(ix, dw);
          const kx1 = endInside(ix, dw, w, kw);
          const nx = max(0, kx1 - kx0);
          const a0 = xRow + <usize>(nx > 0 ? ix + kx0 * dw : 0) * pixelBytes;
          dconv_1x8(nc, a0, yRow + <usize>ox * ldc, nx > 0 ? ny : 0, aRow, wRow,
              dw == 1 ? 1 : nx, tap, dw == 1 ? nx * cin : cin,
              wy + <usize>kx0 * tapBytes, wPanel, bc, alc, act, lo, hi);
          ox++;
        }
      }
    }
  }
}
