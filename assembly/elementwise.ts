// Elementwise kernels, SIMD over contiguous float32 buffers.
// NaN semantics follow tfjs-backend-cpu: relu(NaN) = NaN (Math.max(0, NaN)),
// so the clamp is pmax(x, 0) (x < 0 ? 0 : x) and never pmax(0, x).

/** y[i] = max(x[i], 0) for i < n; NaN stays NaN. x and y may alias. */
export function relu(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.pmax(v128.load(x + off), zero));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const v = load<f32>(x + off);
    store<f32>(y + off, v < 0 ? 0 : v);
  }
}
