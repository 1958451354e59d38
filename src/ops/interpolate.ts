/**
 * `interpolate`: F.interpolate(mode='bilinear' | 'nearest') with PyTorch semantics on NHWC
 * tensors.
 *
 * Source: torch.nn.functional.interpolate / aten UpSampleBilinear2d.cpp, UpSampleNearest2d.cpp
 * (area_pixel_compute_source_index, nearest_idx); tfjs mapping in shared/research/design.md §2.5.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface InterpolateOptions {
  /** Output size: one number (both dims) or [outH, outW]. Exactly one of size / scaleFactor. */
  size?: number | [number, number];
  /** Scale: one number or [sh, sw] (> 0); output = floor(in * scale). */
  scaleFactor?: number | [number, number];
  /** 'bilinear' (default 'nearest', as PyTorch). */
  mode?: 'bilinear' | 'nearest';
  /** Bilinear only (default false); must be unset / false for 'nearest' (as PyTorch). */
  alignCorners?: boolean;
}

function pair(v: number | [number, number], what: string): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.length !== 2 || !p.every(Number.isFinite)) throw new Error(`interpolate: ${what} must be a number or [h, w], got ${v}`);
  return p;
}

/**
 * Resizes the spatial dims of x NHWC [N, H, W, C] (rank 3 [H, W, C] is accepted too) like
 * `F.interpolate(x_nchw, size | scale_factor, mode, align_corners)` (recompute_scale_factor
 * None, antialias False), returning NHWC [N, outH, outW, C] float32. Differentiable.
 *
 * - bilinear, size given (or scale_factor with in*scale integral, where 1/scale = in/out):
 *   `tf.image.resizeBilinear(x, size, alignCorners, !alignCorners)` — PyTorch align_corners
 *   False = tfjs (false, true), True = tfjs (true, false) (both exact). On `simd` this is the
 *   native ResizeBilinear kernel.
 * - bilinear with scale_factor where out = floor(in*scale) != in*scale and alignCorners false:
 *   PyTorch uses ratio 1/scale (not in/out), which tfjs cannot express; computed on every
 *   backend as gather(columns) + lerp, gather(rows) + lerp with the same taps (same result,
 *   slower).
 * - nearest: src = min(floor(dst * ratio), in-1), ratio = in/out (or 1/scale), in float32 as
 *   PyTorch's legacy 'nearest' (not 'nearest-exact'); computed as two gathers on every backend.
 * @throws Error for a rank other than 3/4, both or neither of size / scaleFactor, sizes < 1,
 *   scales <= 0, alignCorners with 'nearest', or an unknown mode.
 */
export function interpolate(x: tf.Tensor, opts: InterpolateOptions): tf.Tensor {
  const mode = opts.mode ?? 'nearest';
  if (mode !== 'bilinear' && mode !== 'nearest') throw new Error(`interpolate: mode '${mode}' is not supported (only 'bilinear', 'nearest')`);
  if (x.rank === 3) return tf.tidy(() => tf.squeeze(interpolate(tf.expandDims(x, 0), opts), [0]));
  if (x.rank !== 4) throw new Error(`interpolate: expected NHWC rank 4 (or HWC rank 3), got shape [${x.shape}]`);
  if ((opts.size == null) === (opts.scaleFactor == null)) throw new Error('interpolate: give exactly one of size and scaleFactor');
  if (mode === 'nearest' && opts.alignCorners) {
    throw new Error('interpolate: alignCorners only has an effect for bilinear (PyTorch raises for nearest)');
  }
  const alignCorners = opts.alignCorners ?? false;
  const [, inH, inW] = x.shape as number[];
  let outH: number, outW: number;
  // PyTorch's per-dim ratio when a scale factor is given and alignCorners is false.
  let ratio: [number | undefined, number | undefined] = [undefined, undefined];
  if (opts.size != null) {
    [outH, outW] = pair(opts.size, 'size');
    if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1) {
      throw new Error(`interpolate: size must be integers >= 1, got [${outH}, ${outW}]`);
    }
  } else {
    const [sh, sw] = pair(opts.scaleFactor!, 'scaleFactor');
    if (!(sh > 0 && sw > 0)) throw new Error(`interpolate: scaleFactor must be > 0, got [${sh}, ${sw}]`);
    outH = Math.floor(inH * sh);
    outW = Math.floor(inW * sw);
    if (outH < 1 || outW < 1) throw new Error(`interpolate: scaleFactor [${sh}, ${sw}] gives an empty output from [${inH}, ${inW}]`);
    if (!alignCorners) ratio = [1 / sh, 1 / sw];
  }
  const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
  try {
    if (mode === 'nearest') {
      return tf.tidy(() => tf.gather(tf.gather(xf, nearestIndices(inW, outW, ratio[1]), 2),
          nearestIndices(inH, outH, ratio[0]), 1));
    }
    return bilinear(xf as tf.Tensor4D, outH, outW, alignCorners, ratio);
  } finally {
    if (xf !== x) xf.dispose();
  }
}

/** PyTorch legacy nearest source indices: min(floor(dst * scale), in-1), scale in float32. */
function nearestIndices(inSize: number, outSize: number, ratio?: number): tf.Tensor1D {
  const idx = new Int32Array(outSize);
  const scale = Math.fround(ratio ?? inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (outSize === inSize && ratio === undefined) idx[d] = d;
    else if (outSize === 2 * inSize && ratio === undefined) idx[d] = d >> 1;
    else idx[d] = Math.min(Math.floor(Math.fround(d * scale)), inSize - 1);
  }
  return tf.tensor1d(idx, 'int32');
}

/** Bilinear taps as tfjs-backend-cpu ResizeBilinear (f64 source coordinates), optional ratio override. */
function taps(inSize: number, outSize: number, alignCorners: boolean, ratio?: number) {
  const r = ratio ?? ((alignCorners && outSize > 1) ? (inSize - 1) / (outSize - 1) : inSize / outSize);
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), frac = new Float32Array(outSize);
  for (let d = 0; d < outSize; d++) {
    const src = alignCorners ? r * d : r * (d + 0.5) - 0.5;
    const f = Math.max(0, Math.floor(src));
    lo[d] = f;
    hi[d] = Math.min(inSize - 1, Math.ceil(src));
    frac[d] = src - f;
  }
  return { lo, hi, frac };
}
type Taps = ReturnType<typeof taps>;

/** The [outSize, inSize] interpolation matrix of one axis (row o: 1-frac at lo, frac at hi). */
function tapMatrix(t: Taps, inSize: number): tf.Tensor2D {
  const m = new Float32Array(t.lo.length * inSize);
  for (let o = 0; o < t.lo.length; o++) {
    m[o * inSize + t.lo[o]] += 1 - t.frac[o];
    m[o * inSize + t.hi[o]] += t.frac[o];
  }
  return tf.tensor2d(m, [t.lo.length, inSize]);
}

/**
 * PyTorch bilinear on x [N, H, W, C] float32. Forward: tf.image.resizeBilinear when tfjs' ratio
 * equals PyTorch's (native on simd), else separable gathers. Gradient (custom, every backend):
 * dx = Ryᵀ · dy · Cx per (n, c) with the per-axis interpolation matrices, as two matMuls; tfjs'
 * own ResizeBilinearGrad (cpu 4.22) ignores halfPixelCenters and mislabels non-square shapes.
 */
function bilinear(x: tf.Tensor4D, outH: number, outW: number, alignCorners: boolean,
    ratio: [number | undefined, number | undefined]): tf.Tensor {
  const [n, inH, inW, c] = x.shape;
  const rt = taps(inH, outH, alignCorners, ratio[0]);
  const ct = taps(inW, outW, alignCorners, ratio[1]);
  // tfjs ratio = in/out: equal to PyTorch's 1/scale when it is the same number.
  const tfjsExact = (r: number | undefined, i: number, o: number) => r === undefined || r === i / o;
  const native = tfjsExact(ratio[0], inH, outH) && tfjsExact(ratio[1], inW, outW);
  const f = tf.customGrad(((xi: tf.Tensor) => {
    const value = native
      ? tf.image.resizeBilinear(xi as tf.Tensor4D, [outH, outW], alignCorners, !alignCorners)
      : bilinearByGather(xi, ct, rt);
    const gradFunc = (dy: tf.Tensor) => tf.tidy(() => {
      // dy [N, oh, ow, C] -> [N, C, oh, ow] -> (· Cx) -> [N*C*oh, inW]
      const d = tf.reshape(tf.transpose(dy, [0, 3, 1, 2]), [n * c * outH, outW]);
      const t1 = tf.reshape(tf.matMul(d, tapMatrix(ct, inW)), [n * c, outH, inW]);
      // Ryᵀ · : [inH, oh] @ [oh, N*C*inW]
      const t2 = tf.reshape(tf.transpose(t1, [1, 0, 2]), [outH, n * c * inW]);
      const t3 = tf.matMul(tapMatrix(rt, inH), t2, true, false);
      return tf.transpose(tf.reshape(t3, [inH, n, c, inW]), [1, 0, 3, 2]);
    });
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/** Separable bilinear (columns then rows, as the cpu kernel's blend order) with given taps. */
function bilinearByGather(x: tf.Tensor, c: Taps, r: Taps): tf.Tensor {
  return tf.tidy(() => {
    const left = tf.gather(x, tf.tensor1d(c.lo, 'int32'), 2);
    const right = tf.gather(x, tf.tensor1d(c.hi, 'int32'), 2);
    const xw = tf.tensor(c.frac, [1, 1, c.lo.length, 1]);
    const h = tf.add(left, tf.mul(tf.sub(right, left), xw));
    const top = tf.gather(h, tf.tensor1d(r.lo, 'int32'), 1);
    const bot = tf.gather(h, tf.tensor1d(r.hi, 'int32'), 1);
    const yw = tf.tensor(r.frac, [1, r.lo.length, 1, 1]);
    return tf.add(top, tf.mul(tf.sub(bot, top), yw));
  });
}
