// Native kernels of simdnet's own ops (src/ops/), the ones that are not tfjs kernels.
// NHWC float32, SIMD across channels (a pixel is C contiguous floats: C/4 f32x4 lanes plus a
// scalar tail), pointer-based and allocation-free like the tfjs kernels (assembly/pool.ts).
// Callers validate every size in JS (src/ops/adaptive_avg_pool.ts), so no call can trap.

/** PyTorch adaptive bin start: floor(i * n / out). */
// @ts-ignore: decorator
@inline function binStart(i: i32, n: i32, out: i32): i32 {
  return <i32>((<i64>i * <i64>n) / <i64>out);
}

/** PyTorch adaptive bin end: ceil((i + 1) * n / out). */
// @ts-ignore: decorator
@inline function binEnd(i: i32, n: i32, out: i32): i32 {
  return <i32>(((<i64>(i + 1)) * <i64>n + <i64>out - 1) / <i64>out);
}

/**
 * PyTorch `F.adaptive_avg_pool2d(x, (outH, outW))` on NHWC: output (oh, ow) is the mean over
 * rows [floor(oh*inH/outH), ceil((oh+1)*inH/outH)) and columns likewise (bins may overlap and,
 * for out > in, repeat rows), summed in row-major tap order and divided by the bin area, as
 * ATen's CPU kernel does (aten/src/ATen/native/cpu/AdaptiveAvgPoolKernel.cpp).
 *   x [batch, inH, inW, C] -> y [batch, outH, outW, C]; inH, inW, outH, outW >= 1, C >= 1.
 */
export function adaptiveAvgPool2d(x: usize, y: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  let out = y;
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * <usize>inH * rowBytes;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = binStart(oh, inH, outH);
      const nr = binEnd(oh, inH, outH) - h0;
      for (let ow = 0; ow < outW; ow++) {
        const w0 = binStart(ow, inW, outW);
        const nc = binEnd(ow, inW, outW) - w0;
        const first = xb + <usize>h0 * rowBytes + <usize>w0 * pixel;
        const area = <f32>(nr * nc);
        const vArea = f32x4.splat(area);
        let c = 0;
        for (; c + 8 <= C; c += 8) {
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
          let row = first + (<usize>c << 2);
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              a0 = f32x4.add(a0, v128.load(p));
              a1 = f32x4.add(a1, v128.load(p, 16));
              p += pixel;
            }
            row += rowBytes;
          }
          const o = out + (<usize>c << 2);
          v128.store(o, f32x4.div(a0, vArea));
          v128.store(o, f32x4.div(a1, vArea), 16);
        }
        for (; c + 4 <= C; c += 4) {
          let a = f32x4.splat(0);
          let row = first + (<usize>c << 2);
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              a = f32x4.add(a, v128.load(p));
              p += pixel;
            }
            row += rowBytes;
          }
          v128.store(out + (<usize>c << 2), f32x4.div(a, vArea));
        }
        for (; c < C; c++) {
          let a: f32 = 0;
          let row = first + (<usize>c << 2);
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              a += load<f32>(p);
              p += pixel;
            }
            row += rowBytes;
          }
          store<f32>(out + (<usize>c << 2), a / area);
        }
        out += pixel;
      }
    }
  }
}
