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

/**
 * PyTorch `F.adaptive_max_pool2d(x, (outH, outW))` on NHWC: output (oh, ow) is the maximum over
 * rows [floor(oh*inH/outH), ceil((oh+1)*inH/outH)) and columns likewise (the same bins as
 * adaptiveAvgPool2d). NaN propagates (wasm f32x4.max, like ATen's `val > max || isnan(val)`);
 * the only difference from ATen is the sign of a zero maximum when −0 and +0 tie.
 * Source: aten/src/ATen/native/cpu/AdaptiveMaxPoolKernel.cpp.
 *   x [batch, inH, inW, C] -> y [batch, outH, outW, C]; inH, inW, outH, outW >= 1, C >= 1.
 */
export function adaptiveMaxPool2d(x: usize, y: usize, batch: i32, inH: i32, inW: i32, C: i32,
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
        let c = 0;
        for (; c + 8 <= C; c += 8) {
          let row = first + (<usize>c << 2);
          let a0 = v128.load(row), a1 = v128.load(row, 16);
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              a0 = f32x4.max(a0, v128.load(p));
              a1 = f32x4.max(a1, v128.load(p, 16));
              p += pixel;
            }
            row += rowBytes;
          }
          const o = out + (<usize>c << 2);
          v128.store(o, a0);
          v128.store(o, a1, 16);
        }
        for (; c + 4 <= C; c += 4) {
          let row = first + (<usize>c << 2);
          let a = v128.load(row);
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              a = f32x4.max(a, v128.load(p));
              p += pixel;
            }
            row += rowBytes;
          }
          v128.store(out + (<usize>c << 2), a);
        }
        for (; c < C; c++) {
          let row = first + (<usize>c << 2);
          let a = load<f32>(row);
          for (let i = 0; i < nr; i++) {
            let p = row;
            for (let j = 0; j < nc; j++) {
              const v = load<f32>(p);
              if (v > a || v != v) a = v;
              p += pixel;
            }
            row += rowBytes;
          }
          store<f32>(out + (<usize>c << 2), a);
        }
        out += pixel;
      }
    }
  }
}

/**
 * PyTorch `F.adaptive_max_pool2d(x, (outH, outW), return_indices=True)` on NHWC: the maximum of
 * each bin (bins as adaptiveMaxPool2d) and its index h·inW + w in the (n, c) plane, as ATen's
 * CPU kernel picks it: taps in row-major order, the running max replaced when
 * `val > max || isnan(val)` — the first of equal values wins (its sign too: −0 vs +0), and
 * any NaN takes over (so the last NaN of the bin). Values are exactly torch's, incl. the zero
 * sign that the values-only kernel's f32x4.max may flip.
 * Source: aten/src/ATen/native/cpu/AdaptiveMaxPoolKernel.cpp (cpu_adaptive_max_pool).
 * SIMD over channels: running max and index per lane, chosen with bitselect (4-lane groups, then
 * a scalar tail).
 *   x [batch, inH, inW, C] -> y [batch, outH, outW, C] f32, idx [batch, outH, outW, C] i32.
 */
export function adaptiveMaxPool2dWithIndices(x: usize, y: usize, idx: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  let out = y, oi = idx;
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * <usize>inH * rowBytes;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = binStart(oh, inH, outH);
      const h1 = binEnd(oh, inH, outH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = binStart(ow, inW, outW);
        const w1 = binEnd(ow, inW, outW);
        const first = h0 * inW + w0;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const xc = xb + (<usize>c << 2);
          let m = v128.load(xc + <usize>first * pixel);
          let mi = i32x4.splat(first);
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const k = ih * inW + iw;
              const v = v128.load(xc + <usize>k * pixel);
              const take = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
              m = v128.bitselect(v, m, take);
              mi = v128.bitselect(i32x4.splat(k), mi, take);
            }
          }
          v128.store(out + (<usize>c << 2), m);
          v128.store(oi + (<usize>c << 2), mi);
        }
        for (; c < C; c++) {
          const xc = xb + (<usize>c << 2);
          let m = load<f32>(xc + <usize>first * pixel);
          let mi = first;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const k = ih * inW + iw;
              const v = load<f32>(xc + <usize>k * pixel);
              if (v > m || v != v) { m = v; mi = k; }
            }
          }
          store<f32>(out + (<usize>c << 2), m);
          store<i32>(oi + (<usize>c << 2), mi);
        }
        out += pixel;
        oi += pixel;
      }
    }
  }
}

/**
 * Gradient of adaptiveMaxPool2d: dx = 0, then for every output (b, oh, ow, c) the incoming
 * gradient dy is added at the input position of that bin's maximum: the first maximum in
 * row-major tap order (ATen's `val > max || isnan(val)`: the first of equal values wins, a NaN
 * takes over; ATen's max_pool backward scatter-adds, so overlapping bins accumulate).
 * The argmax is recomputed from x (no index tensor is kept by the forward pass).
 * SIMD over channels: running max and its tap offset per lane, chosen with bitselect.
 *   x [batch, inH, inW, C], dy [batch, outH, outW, C] -> dx [batch, inH, inW, C].
 */
export function adaptiveMaxPool2dGrad(x: usize, dy: usize, dx: usize, batch: i32, inH: i32, inW: i32, C: i32,
    outH: i32, outW: i32): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  memory.fill(dx, 0, <usize>batch * <usize>inH * rowBytes);
  let g = dy;
  for (let b = 0; b < batch; b++) {
    const imgOff = <usize>b * <usize>inH * rowBytes;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = binStart(oh, inH, outH);
      const nr = binEnd(oh, inH, outH) - h0;
      for (let ow = 0; ow < outW; ow++) {
        const w0 = binStart(ow, inW, outW);
        const nc = binEnd(ow, inW, outW) - w0;
        // byte offset (within the image) of the bin's first pixel
        const firstOff = <i32>(<usize>h0 * rowBytes + <usize>w0 * pixel);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const cOff = c << 2;
          let m = v128.load(x + imgOff + <usize>(firstOff + cOff));
          let mi = i32x4.splat(firstOff);
          for (let i = 0; i < nr; i++) {
            let off = firstOff + i * <i32>rowBytes;
            for (let j = 0; j < nc; j++) {
              const v = v128.load(x + imgOff + <usize>(off + cOff));
              const take = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
              m = v128.bitselect(v, m, take);
              mi = v128.bitselect(i32x4.splat(off), mi, take);
              off += <i32>pixel;
            }
          }
          const gv = v128.load(g + (<usize>c << 2));
          const base = dx + imgOff + <usize>cOff;
          let p = base + <usize>i32x4.extract_lane(mi, 0);
          store<f32>(p, load<f32>(p) + f32x4.extract_lane(gv, 0));
          p = base + <usize>i32x4.extract_lane(mi, 1);
          store<f32>(p, load<f32>(p, 4) + f32x4.extract_lane(gv, 1), 4);
          p = base + <usize>i32x4.extract_lane(mi, 2);
          store<f32>(p, load<f32>(p, 8) + f32x4.extract_lane(gv, 2), 8);
          p = base + <usize>i32x4.extract_lane(mi, 3);
          store<f32>(p, load<f32>(p, 12) + f32x4.extract_lane(gv, 3), 12);
        }
        for (; c < C; c++) {
          const cOff = c << 2;
          let m = load<f32>(x + imgOff + <usize>(firstOff + cOff));
          let mi = firstOff;
          for (let i = 0; i < nr; i++) {
            let off = firstOff + i * <i32>rowBytes;
            for (let j = 0; j < nc; j++) {
              const v = load<f32>(x + imgOff + <usize>(off + cOff));
              if (v > m || v != v) { m = v; mi = off; }
              off += <i32>pixel;
            }
          }
          const p = dx + imgOff + <usize>(mi + cOff);
          store<f32>(p, load<f32>(p) + load<f32>(g + (<usize>c << 2)));
        }
        g += pixel;
      }
    }
  }
}
