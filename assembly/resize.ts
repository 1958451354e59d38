// Bilinear resize over NHWC float32 tensors, SIMD across channels: a pixel is C contiguous
// floats, and an output row is outW·C contiguous floats.
//
// Two paths, the same f32 operations in the same order (so bit-identical results); the caller
// (src/backend/kernels/ResizeBilinear.ts `rowCachePays`) picks one from the row taps:
//  - per pixel (XNNPACK f32-ibilinear, src/f32-ibilinear/wasmsimd.c.in): each output pixel
//    blends its 4 source pixels, C/4 f32x4 lanes plus a scalar tail for C % 4. Taken when
//    output rows rarely share source rows (rows downscaled by more than ~1.25).
//  - separable with a 2-row cache (upsampling; horizontal-then-vertical like the row buffers of
//    OpenCV's cv::resize INTER_LINEAR, modules/imgproc/src/resize.cpp `resizeGeneric_`): a source
//    row r is interpolated horizontally once into a scratch row
//    H_r[ow·C + c] = x[r, l, c] + (x[r, rr, c] − x[r, l, c])·xf (the per-pixel path's `t` / `u`)
//    and kept while output rows still need it (the row taps are monotonic); output rows are
//    then contiguous f32x4 loops over outW·C floats, y = H_top + (H_bot − H_top)·yf, up to 4
//    consecutive output rows with the same two source rows in one pass (H_bot − H_top formed
//    once: the pass is bound by memory traffic, and this cuts the scratch reads per output
//    float from 2 to 1/2 when upsampling 4x). Each source row is interpolated about once
//    instead of ~2·outH/inH times, and the vertical pass vectorizes the whole row even when
//    C % 4 ≠ 0 (21-class logits). When C % 4 == 0 a new bottom row is made in the same pass
//    as the output rows it first serves.
// Semantics: tfjs-backend-cpu kernels/ResizeBilinear.ts (alignCorners / halfPixelCenters,
// floor clamped to >= 0, ceil clamped to <= in-1, blend order top, bottom, then rows); tfjs cpu
// blends in f64 with f64 fractions and rounds once, these kernels in f32 with f32 fractions (a
// few f32 ulps apart; tests/resize.test.ts checks both).
//
// Tables (built and validated by the caller; indices are in range, so every load is in bounds):
//   cols: outW records of 12 bytes: i32 left column, i32 right column, f32 column fraction
//   rows: outH records of 12 bytes: i32 top row,     i32 bottom row,   f32 row fraction

/**
 * y[b, oh, ow, c] = top + (bottom - top) * yf, with top = tl + (tr - tl) * xf and
 * bottom = bl + (br - bl) * xf, where tl/tr/bl/br are x[b, rowTop|rowBot, colLeft|colRight, c]
 * taken from the row / column tables (same operation order as tfjs-backend-cpu, in f32).
 * x: [batch, inH, inW, C], y: [batch, outH, outW, C] (must not alias x).
 * scratch: 0 for the per-pixel path, else 2·outW·C f32 (8·outW·C bytes, not aliasing x or y)
 * for the separable 2-row-cache path (see the file comment); both give the same bits.
 */
export function resizeBilinear(x: usize, y: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32, cols: usize, rows: usize, scratch: usize): void {
  if (scratch != 0) {
    resizeRows(x, y, batch, inH, inW, C, outH, outW, cols, rows, scratch);
    return;
  }
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  const imageBytes = <usize>inH * rowBytes;
  let out = y;
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * imageBytes;
    for (let oh = 0; oh < outH; oh++) {
      const rr = rows + <usize>oh * 12;
      const top = xb + <usize>load<i32>(rr) * rowBytes;
      const bot = xb + <usize>load<i32>(rr, 4) * rowBytes;
      const yf = load<f32>(rr, 8);
      for (let ow = 0; ow < outW; ow++) {
        const cr = cols + <usize>ow * 12;
        const l = <usize>load<i32>(cr) * pixel;
        const r = <usize>load<i32>(cr, 4) * pixel;
        const xf = load<f32>(cr, 8);
        blend(top + l, top + r, bot + l, bot + r, out, C, xf, yf);
        out += pixel;
      }
    }
  }
}

/**
 * The separable path: two scratch rows of outW·C f32 at `scratch`, each tagged with the source
 * row (b·inH + r) it holds. For each run of up to 4 consecutive output rows with the same two
 * source rows top and bot, a missing one is interpolated horizontally into the slot that does
 * not hold the other (never evicting a row these output rows need; top == bot is possible), then
 * the run's output rows are blended vertically in one pass over the two scratch rows. When
 * C % 4 == 0 a new bottom row is made in that same pass (all f32x4); with a scalar channel tail
 * the separate passes keep the vertical one fully vectorized.
 */
function resizeRows(x: usize, y: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32, cols: usize, rows: usize, scratch: usize): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  const outRow = outW * C;
  const outRowBytes = <usize>outRow << 2;
  const slot0 = scratch, slot1 = scratch + outRowBytes;
  const fused = (C & 3) == 0;
  let tag0 = -1, tag1 = -1;
  let out = y;
  for (let b = 0; b < batch; b++) {
    const base = b * inH;
    for (let oh = 0; oh < outH;) {
      const rr = rows + <usize>oh * 12;
      const top = base + load<i32>(rr);
      const bot = base + load<i32>(rr, 4);
      // The run: this output row and the following ones (4 in all at most) with the same taps.
      let k = 1;
      while (k < 4 && oh + k < outH && base + load<i32>(rr + <usize>k * 12) == top
          && base + load<i32>(rr + <usize>k * 12, 4) == bot) k++;
      // top: reuse, else overwrite the slot that does not hold bot.
      let hTop: usize;
      if (tag0 == top) hTop = slot0;
      else if (tag1 == top) hTop = slot1;
      else if (tag0 == bot) { horizontal(x + <usize>top * rowBytes, slot1, C, outW, cols, pixel); tag1 = top; hTop = slot1; }
      else { horizontal(x + <usize>top * rowBytes, slot0, C, outW, cols, pixel); tag0 = top; hTop = slot0; }
      // bot: reuse, else interpolate it into the slot that does not hold top (top != bot here).
      let hBot: usize;
      let blended = false;
      if (tag0 == bot) hBot = slot0;
      else if (tag1 == bot) hBot = slot1;
      else {
        hBot = hTop == slot0 ? slot1 : slot0;
        if (hBot == slot1) tag1 = bot; else tag0 = bot;
        const src = x + <usize>bot * rowBytes;
        if (fused) {
          if (k == 1) horizontalBlend(src, hBot, hTop, out, outRowBytes, C, outW, cols, pixel, rr, 1);
          else if (k == 2) horizontalBlend(src, hBot, hTop, out, outRowBytes, C, outW, cols, pixel, rr, 2);
          else if (k == 3) horizontalBlend(src, hBot, hTop, out, outRowBytes, C, outW, cols, pixel, rr, 3);
          else horizontalBlend(src, hBot, hTop, out, outRowBytes, C, outW, cols, pixel, rr, 4);
          blended = true;
        } else {
          horizontal(src, hBot, C, outW, cols, pixel);
        }
      }
      if (!blended) {
        if (k == 1) vertical(hTop, hBot, out, outRow, load<f32>(rr, 8));
        else if (k == 2) verticalGroup(hTop, hBot, out, outRowBytes, outRow, rr, 2);
        else if (k == 3) verticalGroup(hTop, hBot, out, outRowBytes, outRow, rr, 3);
        else verticalGroup(hTop, hBot, out, outRowBytes, outRow, rr, 4);
      }
      out += <usize>k * outRowBytes;
      oh += k;
    }
  }
}

/** h[ow·C + c] = a + (b − a)·xf with a / b = src[left|right column, c] (one source row). */
// @ts-ignore: decorator
@inline function horizontal(src: usize, h: usize, C: i32, outW: i32, cols: usize, pixel: usize): void {
  for (let ow = 0; ow < outW; ow++) {
    const cr = cols + <usize>ow * 12;
    const pl = src + <usize>load<i32>(cr) * pixel;
    const pr = src + <usize>load<i32>(cr, 4) * pixel;
    // the pixel's C channels: one contiguous lerp between the two source pixels
    vertical(pl, pr, h, C, load<f32>(cr, 8));
    h += pixel;
  }
}

/** Stores a + d·v_j to output row j (y + j·stride + o) for j < k (k ≤ 4): the vertical blend of
 * one vector of k output rows that share their two source rows (a = top, d = bottom − top). */
// @ts-ignore: decorator
@inline function storeBlend(y: usize, stride: usize, o: usize, a: v128, d: v128, v0: v128, v1: v128, v2: v128,
    v3: v128, k: i32): void {
  v128.store(y + o, f32x4.add(a, f32x4.mul(d, v0)));
  if (k > 1) v128.store(y + stride + o, f32x4.add(a, f32x4.mul(d, v1)));
  if (k > 2) v128.store(y + 2 * stride + o, f32x4.add(a, f32x4.mul(d, v2)));
  if (k > 3) v128.store(y + 3 * stride + o, f32x4.add(a, f32x4.mul(d, v3)));
}

/**
 * horizontal() into h, and in the same pass the k (1..4) output rows y + j·stride (row records
 * rr + 12·j) that blend t (the top scratch row) and h: y_j = t + (h − t)·yf_j — the same
 * operations as horizontal() then vertical() / verticalGroup(). C must be a multiple of 4.
 */
// @ts-ignore: decorator
@inline function horizontalBlend(src: usize, h: usize, t: usize, y: usize, stride: usize, C: i32, outW: i32,
    cols: usize, pixel: usize, rr: usize, k: i32): void {
  const v0 = f32x4.splat(load<f32>(rr, 8));
  const v1 = f32x4.splat(k > 1 ? load<f32>(rr, 20) : f32(0));
  const v2 = f32x4.splat(k > 2 ? load<f32>(rr, 32) : f32(0));
  const v3 = f32x4.splat(k > 3 ? load<f32>(rr, 44) : f32(0));
  let p: usize = 0;
  for (let ow = 0; ow < outW; ow++) {
    const cr = cols + <usize>ow * 12;
    const pl = src + <usize>load<i32>(cr) * pixel;
    const pr = src + <usize>load<i32>(cr, 4) * pixel;
    const vx = f32x4.splat(load<f32>(cr, 8));
    let c = 0;
    let o = p;  // offset of this pixel's channel group in h, t and the output rows
    let q: usize = 0;  // the same in the source pixels
    for (; c + 8 <= C; c += 8) {
      const a0 = v128.load(pl + q), a1 = v128.load(pl + q, 16);
      const b0 = v128.load(pr + q), b1 = v128.load(pr + q, 16);
      const u0 = f32x4.add(a0, f32x4.mul(f32x4.sub(b0, a0), vx));
      const u1 = f32x4.add(a1, f32x4.mul(f32x4.sub(b1, a1), vx));
      v128.store(h + o, u0);
      v128.store(h + o, u1, 16);
      const t0 = v128.load(t + o), t1 = v128.load(t + o, 16);
      storeBlend(y, stride, o, t0, f32x4.sub(u0, t0), v0, v1, v2, v3, k);
      storeBlend(y, stride, o + 16, t1, f32x4.sub(u1, t1), v0, v1, v2, v3, k);
      o += 32;
      q += 32;
    }
    for (; c + 4 <= C; c += 4) {
      const a = v128.load(pl + q), b = v128.load(pr + q);
      const u = f32x4.add(a, f32x4.mul(f32x4.sub(b, a), vx));
      v128.store(h + o, u);
      const tt = v128.load(t + o);
      storeBlend(y, stride, o, tt, f32x4.sub(u, tt), v0, v1, v2, v3, k);
      o += 16;
      q += 16;
    }
    p += pixel;
  }
}

/** y[i] = t[i] + (u[i] − t[i])·yf for i < n (contiguous runs: two cached rows, or two source
 * pixels' channels in `horizontal`; t may equal u). */
// @ts-ignore: decorator
@inline function vertical(t: usize, u: usize, y: usize, n: i32, yf: f32): void {
  const vy = f32x4.splat(yf);
  let i = 0;
  let o: usize = 0;
  for (; i + 16 <= n; i += 16) {
    const t0 = v128.load(t + o), t1 = v128.load(t + o, 16), t2 = v128.load(t + o, 32), t3 = v128.load(t + o, 48);
    const u0 = v128.load(u + o), u1 = v128.load(u + o, 16), u2 = v128.load(u + o, 32), u3 = v128.load(u + o, 48);
    v128.store(y + o, f32x4.add(t0, f32x4.mul(f32x4.sub(u0, t0), vy)));
    v128.store(y + o, f32x4.add(t1, f32x4.mul(f32x4.sub(u1, t1), vy)), 16);
    v128.store(y + o, f32x4.add(t2, f32x4.mul(f32x4.sub(u2, t2), vy)), 32);
    v128.store(y + o, f32x4.add(t3, f32x4.mul(f32x4.sub(u3, t3), vy)), 48);
    o += 64;
  }
  for (; i + 4 <= n; i += 4) {
    const a = v128.load(t + o), b = v128.load(u + o);
    v128.store(y + o, f32x4.add(a, f32x4.mul(f32x4.sub(b, a), vy)));
    o += 16;
  }
  for (; i < n; i++) {
    const a = load<f32>(t + o), b = load<f32>(u + o);
    store<f32>(y + o, a + (b - a) * yf);
    o += 4;
  }
}

/**
 * vertical() for k (2..4) consecutive output rows y + j·stride (row records rr + 12·j) that
 * blend the same two scratch rows t and u with their own fractions: u − t is formed once.
 */
// @ts-ignore: decorator
@inline function verticalGroup(t: usize, u: usize, y: usize, stride: usize, n: i32, rr: usize, k: i32): void {
  const f0 = load<f32>(rr, 8), f1 = load<f32>(rr, 20);
  const f2 = k > 2 ? load<f32>(rr, 32) : f32(0), f3 = k > 3 ? load<f32>(rr, 44) : f32(0);
  const v0 = f32x4.splat(f0), v1 = f32x4.splat(f1), v2 = f32x4.splat(f2), v3 = f32x4.splat(f3);
  const y1 = y + stride, y2 = y1 + stride, y3 = y2 + stride;
  let i = 0;
  let o: usize = 0;
  for (; i + 8 <= n; i += 8) {
    const a0 = v128.load(t + o), a1 = v128.load(t + o, 16);
    storeBlend(y, stride, o, a0, f32x4.sub(v128.load(u + o), a0), v0, v1, v2, v3, k);
    storeBlend(y, stride, o + 16, a1, f32x4.sub(v128.load(u + o, 16), a1), v0, v1, v2, v3, k);
    o += 32;
  }
  for (; i + 4 <= n; i += 4) {
    const a = v128.load(t + o);
    storeBlend(y, stride, o, a, f32x4.sub(v128.load(u + o), a), v0, v1, v2, v3, k);
    o += 16;
  }
  for (; i < n; i++) {
    const a = load<f32>(t + o);
    const d = load<f32>(u + o) - a;
    store<f32>(y + o, a + d * f0);
    store<f32>(y1 + o, a + d * f1);
    if (k > 2) store<f32>(y2 + o, a + d * f2);
    if (k > 3) store<f32>(y3 + o, a + d * f3);
    o += 4;
  }
}

/** One output pixel: C channels blended from the 4 source pixels (see resizeBilinear). */
// @ts-ignore: decorator
@inline function blend(tl: usize, tr: usize, bl: usize, br: usize, out: usize, C: i32, xf: f32, yf: f32): void {
  const vx = f32x4.splat(xf);
  const vy = f32x4.splat(yf);
  let c = 0;
  let o: usize = 0;
  for (; c + 8 <= C; c += 8) {
    const a0 = v128.load(tl + o), a1 = v128.load(tl + o, 16);
    const b0 = v128.load(tr + o), b1 = v128.load(tr + o, 16);
    const c0 = v128.load(bl + o), c1 = v128.load(bl + o, 16);
    const d0 = v128.load(br + o), d1 = v128.load(br + o, 16);
    const t0 = f32x4.add(a0, f32x4.mul(f32x4.sub(b0, a0), vx));
    const t1 = f32x4.add(a1, f32x4.mul(f32x4.sub(b1, a1), vx));
    const u0 = f32x4.add(c0, f32x4.mul(f32x4.sub(d0, c0), vx));
    const u1 = f32x4.add(c1, f32x4.mul(f32x4.sub(d1, c1), vx));
    v128.store(out + o, f32x4.add(t0, f32x4.mul(f32x4.sub(u0, t0), vy)));
    v128.store(out + o, f32x4.add(t1, f32x4.mul(f32x4.sub(u1, t1), vy)), 16);
    o += 32;
  }
  for (; c + 4 <= C; c += 4) {
    const a = v128.load(tl + o), b = v128.load(tr + o);
    const cc = v128.load(bl + o), d = v128.load(br + o);
    const t = f32x4.add(a, f32x4.mul(f32x4.sub(b, a), vx));
    const u = f32x4.add(cc, f32x4.mul(f32x4.sub(d, cc), vx));
    v128.store(out + o, f32x4.add(t, f32x4.mul(f32x4.sub(u, t), vy)));
    o += 16;
  }
  for (; c < C; c++) {
    const a = load<f32>(tl + o), b = load<f32>(tr + o);
    const cc = load<f32>(bl + o), d = load<f32>(br + o);
    const t = a + (b - a) * xf;
    const u = cc + (d - cc) * xf;
    store<f32>(out + o, t + (u - t) * yf);
    o += 4;
  }
}
