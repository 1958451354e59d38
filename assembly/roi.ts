// RoI feature extraction over NHWC float32 maps, SIMD across channels (a pixel is C contiguous
// floats; every bilinear tap / window tap is C/4 f32x4 lanes plus a scalar tail).
// Semantics: torchvision 0.14 csrc/ops/cpu/roi_align_kernel.cpp (roi_align_forward_kernel_impl,
// pre_calc_for_bilinear_interpolate) and roi_pool_kernel.cpp, same float32 operation order
// (per sample: ((w1·v1 + w2·v2) + w3·v3) + w4·v4 added to the bin sum, then sum / count).
//
// Shared parameters (validated by the JS caller, src/ops/roi.ts):
//   x      features [N, H, W, C]
//   rois   float32 [K, 5]: (batch index (integer valued, in [0, N)), x1, y1, x2, y2) in image
//          pixels, finite, x2 >= x1, y2 >= y1, |coordinate · spatialScale| <= 2^24
//   out    [K, PH, PW, C]
// Only in-bounds pixels are ever loaded, so any input the caller accepts is trap-free.

// @ts-ignore: decorator
@inline function zeroRow(o: usize, C: i32): void {
  memory.fill(o, 0, <usize>C << 2);
}

/**
 * torchvision roi_align forward. `samplingRatio` > 0: that many samples per bin side; <= 0:
 * adaptive ceil(roi size / bins). `aligned` != 0 shifts the box by -0.5 pixel and lets
 * boxes be smaller than 1 pixel.
 */
export function roiAlign(x: usize, rois: usize, out: usize, N: i32, H: i32, W: i32, C: i32, K: i32,
    PH: i32, PW: i32, spatialScale: f64, samplingRatio: i32, aligned: i32): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>W * pixel;
  const offset: f64 = aligned != 0 ? 0.5 : 0.0;
  const fH = <f32>H, fW = <f32>W;
  let o = out;
  for (let k = 0; k < K; k++) {
    const r = rois + (<usize>k * 20);
    const b = <i32>load<f32>(r);
    const xb = x + <usize>b * <usize>H * rowBytes;
    const startW = <f32>(<f64>load<f32>(r, 4) * spatialScale - offset);
    const startH = <f32>(<f64>load<f32>(r, 8) * spatialScale - offset);
    const endW = <f32>(<f64>load<f32>(r, 12) * spatialScale - offset);
    const endH = <f32>(<f64>load<f32>(r, 16) * spatialScale - offset);
    let rw: f32 = endW - startW;
    let rh: f32 = endH - startH;
    if (aligned == 0) {
      rw = rw > <f32>1 ? rw : <f32>1;
      rh = rh > <f32>1 ? rh : <f32>1;
    }
    const binH: f32 = rh / <f32>PH;
    const binW: f32 = rw / <f32>PW;
    const gridH: i32 = samplingRatio > 0 ? samplingRatio : <i32>Mathf.ceil(rh / <f32>PH);
    const gridW: i32 = samplingRatio > 0 ? samplingRatio : <i32>Mathf.ceil(rw / <f32>PW);
    const cnt = gridH * gridW;
    const count: f32 = cnt > 1 ? <f32>cnt : <f32>1;
    const vCount = f32x4.splat(count);
    for (let ph = 0; ph < PH; ph++) {
      for (let pw = 0; pw < PW; pw++) {
        zeroRow(o, C);
        for (let iy = 0; iy < gridH; iy++) {
          let y: f32 = startH + <f32>ph * binH + (<f32>iy + <f32>0.5) * binH / <f32>gridH;
          for (let ix = 0; ix < gridW; ix++) {
            let xx: f32 = startW + <f32>pw * binW + (<f32>ix + <f32>0.5) * binW / <f32>gridW;
            let yy = y;
            if (yy < <f32>-1.0 || yy > fH || xx < <f32>-1.0 || xx > fW) continue;  // contributes 0
            if (yy <= 0) yy = 0;
            if (xx <= 0) xx = 0;
            let yLow = <i32>yy, xLow = <i32>xx, yHigh: i32, xHigh: i32;
            if (yLow >= H - 1) { yHigh = yLow = H - 1; yy = <f32>yLow; } else yHigh = yLow + 1;
            if (xLow >= W - 1) { xHigh = xLow = W - 1; xx = <f32>xLow; } else xHigh = xLow + 1;
            const ly: f32 = yy - <f32>yLow, lx: f32 = xx - <f32>xLow;
            const hy: f32 = <f32>1 - ly, hx: f32 = <f32>1 - lx;
            const w1 = hy * hx, w2 = hy * lx, w3 = ly * hx, w4 = ly * lx;
            const p1 = xb + <usize>yLow * rowBytes + <usize>xLow * pixel;
            const p2 = xb + <usize>yLow * rowBytes + <usize>xHigh * pixel;
            const p3 = xb + <usize>yHigh * rowBytes + <usize>xLow * pixel;
            const p4 = xb + <usize>yHigh * rowBytes + <usize>xHigh * pixel;
            const v1 = f32x4.splat(w1), v2 = f32x4.splat(w2), v3 = f32x4.splat(w3), v4 = f32x4.splat(w4);
            let c = 0;
            for (; c + 8 <= C; c += 8) {
              const cb = <usize>c << 2;
              let t0 = f32x4.mul(v1, v128.load(p1 + cb));
              let t1 = f32x4.mul(v1, v128.load(p1 + cb, 16));
              t0 = f32x4.add(t0, f32x4.mul(v2, v128.load(p2 + cb)));
              t1 = f32x4.add(t1, f32x4.mul(v2, v128.load(p2 + cb, 16)));
              t0 = f32x4.add(t0, f32x4.mul(v3, v128.load(p3 + cb)));
              t1 = f32x4.add(t1, f32x4.mul(v3, v128.load(p3 + cb, 16)));
              t0 = f32x4.add(t0, f32x4.mul(v4, v128.load(p4 + cb)));
              t1 = f32x4.add(t1, f32x4.mul(v4, v128.load(p4 + cb, 16)));
              v128.store(o + cb, f32x4.add(v128.load(o + cb), t0));
              v128.store(o + cb, f32x4.add(v128.load(o + cb, 16), t1), 16);
            }
            for (; c + 4 <= C; c += 4) {
              const cb = <usize>c << 2;
              let t = f32x4.mul(v1, v128.load(p1 + cb));
              t = f32x4.add(t, f32x4.mul(v2, v128.load(p2 + cb)));
              t = f32x4.add(t, f32x4.mul(v3, v128.load(p3 + cb)));
              t = f32x4.add(t, f32x4.mul(v4, v128.load(p4 + cb)));
              v128.store(o + cb, f32x4.add(v128.load(o + cb), t));
            }
            for (; c < C; c++) {
              const cb = <usize>c << 2;
              const t = w1 * load<f32>(p1 + cb) + w2 * load<f32>(p2 + cb) + w3 * load<f32>(p3 + cb) + w4 * load<f32>(p4 + cb);
              store<f32>(o + cb, load<f32>(o + cb) + t);
            }
          }
        }
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const cb = <usize>c << 2;
          v128.store(o + cb, f32x4.div(v128.load(o + cb), vCount));
        }
        for (; c < C; c++) {
          const cb = <usize>c << 2;
          store<f32>(o + cb, load<f32>(o + cb) / count);
        }
        o += pixel;
      }
    }
  }
}

/** std::round on a double: half away from zero. */
// @ts-ignore: decorator
@inline function roundAway(v: f64): f64 {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

// @ts-ignore: decorator
@inline function clampI(v: i32, lo: i32, hi: i32): i32 {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * torchvision roi_pool forward: box corners rounded (half away from zero) on the feature grid,
 * roi size max(end − start + 1, 1), bin [floor(i·size/P), ceil((i+1)·size/P)) offset by the
 * start and clamped to the map, max over the bin from −FLT_MAX (`x > m`), empty bin = 0.
 */
export function roiPool(x: usize, rois: usize, out: usize, N: i32, H: i32, W: i32, C: i32, K: i32,
    PH: i32, PW: i32, spatialScale: f64): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>W * pixel;
  const lowest = f32x4.splat(<f32>-3.4028234663852886e38);
  let o = out;
  for (let k = 0; k < K; k++) {
    const r = rois + (<usize>k * 20);
    const b = <i32>load<f32>(r);
    const xb = x + <usize>b * <usize>H * rowBytes;
    const sw = <i32>roundAway(<f64>load<f32>(r, 4) * spatialScale);
    const sh = <i32>roundAway(<f64>load<f32>(r, 8) * spatialScale);
    const ew = <i32>roundAway(<f64>load<f32>(r, 12) * spatialScale);
    const eh = <i32>roundAway(<f64>load<f32>(r, 16) * spatialScale);
    const rw = ew - sw + 1 > 1 ? ew - sw + 1 : 1;
    const rh = eh - sh + 1 > 1 ? eh - sh + 1 : 1;
    const binH: f32 = <f32>rh / <f32>PH;
    const binW: f32 = <f32>rw / <f32>PW;
    for (let ph = 0; ph < PH; ph++) {
      const h0 = clampI(<i32>Mathf.floor(<f32>ph * binH) + sh, 0, H);
      const h1 = clampI(<i32>Mathf.ceil(<f32>(ph + 1) * binH) + sh, 0, H);
      for (let pw = 0; pw < PW; pw++) {
        const w0 = clampI(<i32>Mathf.floor(<f32>pw * binW) + sw, 0, W);
        const w1 = clampI(<i32>Mathf.ceil(<f32>(pw + 1) * binW) + sw, 0, W);
        if (h1 <= h0 || w1 <= w0) {
          zeroRow(o, C);
          o += pixel;
          continue;
        }
        const first = xb + <usize>h0 * rowBytes + <usize>w0 * pixel;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const cb = <usize>c << 2;
          let m = lowest;
          let row = first + cb;
          for (let i = h0; i < h1; i++) {
            let p = row;
            for (let j = w0; j < w1; j++) {
              m = f32x4.pmax(m, v128.load(p));
              p += pixel;
            }
            row += rowBytes;
          }
          v128.store(o + cb, m);
        }
        for (; c < C; c++) {
          const cb = <usize>c << 2;
          let m: f32 = <f32>-3.4028234663852886e38;
          let row = first + cb;
          for (let i = h0; i < h1; i++) {
            let p = row;
            for (let j = w0; j < w1; j++) {
              const v = load<f32>(p);
              if (v > m) m = v;
              p += pixel;
            }
            row += rowBytes;
          }
          store<f32>(o + cb, m);
        }
        o += pixel;
      }
    }
  }
}
