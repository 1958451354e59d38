import { KernelConfig, KernelFunc, NamedAttrMap, Tile, TileAttrs, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { copyStrided, requireInput, stridesOf } from '../elementwise_impl';

/**
 * `Tile` (tf.tile): y.shape[i] = x.shape[i] * reps[i] (attr `reps`, one non-negative integer
 * per dim), y[j] = x[j mod x.shape]. One strided copy over the interleaved index space
 * [reps0, s0, reps1, s1, …] with stride 0 along each reps dim. float32/int32/bool native;
 * string/complex64 delegated to tfjs-backend-cpu. Throws "Tile: reps …" for a wrong
 * length. Mirrors tfjs-backend-cpu kernels/Tile (tileImpl).
 */
export function tile(args: { inputs: { x?: TensorInfo }; backend: BackendSimd; attrs: TileAttrs }): TensorInfo {
  const { backend: be, attrs: { reps } } = args;
  const x = requireInput(Tile, 'x', args.inputs.x);
  const rank = x.shape.length;
  if (!Array.isArray(reps) || reps.length !== rank || reps.some(r => !Number.isInteger(r) || r < 0)) {
    throw new Error(`Tile: reps must be ${rank} non-negative integers for x of shape [${x.shape}], got [${reps}]`);
  }
  if (x.dtype === 'string' || x.dtype === 'complex64') {
    return runOnCpu(Tile, { x }, { reps } as unknown as NamedAttrMap, be) as TensorInfo;
  }
  const outShape = x.shape.map((s, i) => s * reps[i]);
  const out = be.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const xs = stridesOf(x.shape);
  const shape2: number[] = [], src2: number[] = [];
  for (let i = 0; i < rank; i++) {
    shape2.push(reps[i], x.shape[i]);
    src2.push(0, xs[i]);
  }
  copyStrided(be.view(out), 0, stridesOf(shape2), be.view(x), 0, src2, shape2);
  return out;
}

export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'simd',
  kernelFunc: tile as unknown as KernelFunc,
};
