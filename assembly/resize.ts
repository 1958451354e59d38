// Bilinear resize over NHWC float32 tensors, SIMD across channels: a pixel is C contiguous
// floats, so each output pixel blends 4 source pixels as C/4 f32x4 lanes (plus a scalar tail
// for C % 4).
// Technique: XNNPACK f32-ibilinear (src/f32-ibilinear/wasmsimd.c.in): per output pixel, 4
// source pixels + 2 weights precomputed once per output row / column (here by the JS caller,
// src/backend/kernels/ResizeBilinear.ts, which reproduces tfjs' f64 source-coordinate math);
// semantics: tfjs-backend-cpu kernels/ResizeBilinear.ts (alignCorners / halfPixelCenters,
// floor clamped to >= 0, ceil clamped to <= in-1, blend order top, bottom, then rows).
//
// Tables (built and validated by the caller; indices are in range, so every load is in bounds):
//   cols: outW records of 12 bytes: i32 left column, i32 right column, f32 column fraction
//   rows: outH records of 12 bytes: i32 top row,     i32 bottom row,   f32 row fraction

/**
 * y[b, oh, ow, c] = top + (bottom - top) * yf, with top = tl + (tr - tl) * xf and
 * bottom = bl + (br - bl) * xf, where tl/tr/bl/br are x[b, rowTop|rowBot, colLeft|colRight, c]
 * taken from the row / column tables (same operation order as tfjs-backend-cpu, in f32).
 * x: [batch, inH, inW, C], y: [batch, outH, outW, C] (must not alias x).
 */
export function resizeBilinear(x: usize, y: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32, cols: usize, rows: usize): void {
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
