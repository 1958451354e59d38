// The src/ops checks of the browser suite, as one list that runs unchanged in Node (the `cpu`
// reference, tests/browser/reference.ts) and in Chromium (tests/browser/harness.js imports this
// file from the server), on whatever backend is active. Each case builds its inputs from a
// deterministic generator, calls one op (or one nn layer) and returns the output tensor (NHWC).
//
// Covered: adaptiveAvgPool2d (non-dividing bins, and upsampling bins as VGG at small inputs),
// maxPool2dTorch (ceil mode + padding; dilation), avgPool2dTorch (count_include_pad true and
// false, ceil mode), conv2dGroups (grouped and depthwise, bias, dilation with stride),
// interpolate (bilinear with align_corners false and true, nearest, scale factor), roiAlign
// (aligned false / true, adaptive and fixed sampling ratio), roiPool, adaptiveMaxPool2d with
// returnIndices (ties, output larger than input), and nn.ConvTranspose2d (PyTorch padding +
// output_padding, groups).

/** Deterministic values in [-1, 1): a 32-bit LCG (identical in every JS engine). */
function values(n, seed) {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 8) / 8388608 - 1;
  }
  return out;
}

/**
 * @param {{ tf: any, ops: any, nn: any }} lib tfjs-core and simdnet's `ops` and `nn` namespaces
 * @returns {{ name: string, run: () => any }[]} `run` returns one tf.Tensor; call it inside tf.tidy
 *   (it leaves its inputs to the tidy) and dispose the result
 */
export function opCases({ tf, ops, nn }) {
  const t = (shape, seed) => tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape);
  /**
   * `layer.forward(x)` with every parameter of the layer replaced by generated values (PyTorch
   * layout, through loadStateDict); the layer is disposed afterwards.
   */
  const withLayer = (layer, seed, x) => {
    try {
      const sd = new Map();
      let k = 0;
      for (const [name, p] of Object.entries(layer.stateDict())) {
        sd.set(name, { shape: p.shape, data: values(p.size, seed + 97 * ++k) });
      }
      layer.loadStateDict(sd, { strict: true });
      layer.eval();
      return layer.forward(x);
    } finally {
      layer.dispose();
    }
  };
  // Boxes [K, 5] (batch, x1, y1, x2, y2) in image pixels: inside, on the border, partly outside, tiny.
  const boxes = () => tf.tensor2d([
    [0, 2.3, 1.7, 21.9, 17.2], [1, 0, 0, 39, 31], [0, 30.5, 20.1, 47.0, 40.0], [1, 10.2, 5.5, 11.1, 6.0], [0, -3, -2, 12, 9],
  ]);
  /** adaptiveMaxPool2d with returnIndices: values and indices (as float) concatenated on channels. */
  const amIdx = (x, size) => {
    const [v, i] = ops.adaptiveMaxPool2d(x, size, { returnIndices: true });
    if (i.dtype !== 'int32') throw new Error(`indices dtype ${i.dtype}`);
    return tf.concat([v, tf.cast(i, 'float32')], 3);
  };
  return [
    { name: 'adaptiveAvgPool2d 11×13 → 4×6', run: () => ops.adaptiveAvgPool2d(t([2, 11, 13, 5], 1), [4, 6]) },
    { name: 'adaptiveAvgPool2d 2×3 → 7×7 (bins overlap)', run: () => ops.adaptiveAvgPool2d(t([1, 2, 3, 8], 2), 7) },
    { name: 'maxPool2dTorch k3 s2 p1 ceil', run: () => ops.maxPool2dTorch(t([2, 12, 15, 6], 3), 3, { stride: 2, padding: 1, ceilMode: true }) },
    { name: 'maxPool2dTorch k2 s2 ceil (odd sizes)', run: () => ops.maxPool2dTorch(t([1, 13, 9, 4], 4), 2, { stride: 2, ceilMode: true }) },
    { name: 'maxPool2dTorch k3 s1 d2 p1', run: () => ops.maxPool2dTorch(t([1, 10, 11, 3], 5), 3, { stride: 1, padding: 1, dilation: 2 }) },
    { name: 'avgPool2dTorch k3 s2 p1 ceil count_include_pad', run: () => ops.avgPool2dTorch(t([2, 12, 15, 6], 6), 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: true }) },
    { name: 'avgPool2dTorch k3 s2 p1 ceil !count_include_pad', run: () => ops.avgPool2dTorch(t([2, 12, 15, 6], 7), 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }) },
    { name: 'avgPool2dTorch k5 s3 p2 divisor_override', run: () => ops.avgPool2dTorch(t([1, 14, 11, 5], 8), 5, { stride: 3, padding: 2, divisorOverride: 7 }) },
    { name: 'conv2dGroups g=4 s2 p1 +bias', run: () => ops.conv2dGroups(t([1, 13, 11, 8], 9), t([3, 3, 2, 12], 10), 4, { stride: 2, padding: 1, bias: t([12], 11) }) },
    { name: 'conv2dGroups depthwise ×2 d2 s2 p2', run: () => ops.conv2dGroups(t([2, 12, 10, 6], 12), t([3, 3, 1, 12], 13), 6, { stride: 2, padding: 2, dilation: 2 }) },
    { name: 'interpolate bilinear align_corners=false 7×9 → 17×23', run: () => ops.interpolate(t([1, 7, 9, 4], 14), { size: [17, 23], mode: 'bilinear', alignCorners: false }) },
    { name: 'interpolate bilinear align_corners=true 7×9 → 17×23', run: () => ops.interpolate(t([1, 7, 9, 4], 14), { size: [17, 23], mode: 'bilinear', alignCorners: true }) },
    { name: 'interpolate bilinear 9×11 → 4×5 (down)', run: () => ops.interpolate(t([2, 9, 11, 3], 15), { size: [4, 5], mode: 'bilinear' }) },
    { name: 'interpolate nearest ×2.5', run: () => ops.interpolate(t([1, 6, 7, 3], 16), { scaleFactor: 2.5, mode: 'nearest' }) },
    { name: 'roiAlign 3×4 scale 1/2 adaptive sampling', run: () => ops.roiAlign(t([2, 16, 20, 4], 17), boxes(), { outputSize: [3, 4], spatialScale: 0.5 }) },
    { name: 'roiAlign 2×2 aligned, sampling 2', run: () => ops.roiAlign(t([2, 16, 20, 4], 17), boxes(), { outputSize: 2, spatialScale: 0.5, samplingRatio: 2, aligned: true }) },
    { name: 'roiPool 3×3 scale 1/2', run: () => ops.roiPool(t([2, 16, 20, 4], 17), boxes(), { outputSize: 3, spatialScale: 0.5 }) },
    // returnIndices: values and int32 indices (h·W + w) side by side; inputs rounded to 1/2 (ties)
    { name: 'adaptiveMaxPool2d returnIndices 7×9 → 3×4 (ties)', run: () => amIdx(tf.round(tf.mul(t([2, 7, 9, 5], 23), 2)), [3, 4]) },
    { name: 'adaptiveMaxPool2d returnIndices 4×5 → 7×9 (larger, ties)', run: () => amIdx(tf.round(tf.mul(t([1, 4, 5, 3], 24), 2)), [7, 9]) },
    {
      name: 'ConvTranspose2d 8→6 k3 s2 p1 output_padding 1 groups 2',
      run: () => withLayer(new nn.ConvTranspose2d(8, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), 18, t([1, 7, 9, 8], 19)),
    },
    {
      name: 'ConvTranspose2d 4→4 k4 s2 p1 groups 4 (depthwise upsampling)',
      run: () => withLayer(new nn.ConvTranspose2d(4, 4, 4, { stride: 2, padding: 1, groups: 4, bias: false }), 20, t([2, 5, 6, 4], 21)),
    },
    {
      name: 'ConvTranspose2d 5→3 k(3,5) s(3,2) p(2,1) output_padding (1,1)',
      run: () => withLayer(new nn.ConvTranspose2d(5, 3, [3, 5], { stride: [3, 2], padding: [2, 1], outputPadding: [1, 1] }), 22, t([1, 6, 5, 5], 23)),
    },
  ];
}
