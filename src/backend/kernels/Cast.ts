import { Cast, CastAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { identity } from './Identity';
import { runOnCpu } from '../cpu_fallback';

/**
 * `Cast` between float32, int32 and bool on heap views (tfjs semantics: float→int truncates
 * toward zero, x→bool is x != 0). complex64 and string casts are delegated to cpu.
 */
export function cast(args: { inputs: { x: TensorInfo }; backend: BackendSimd; attrs: CastAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { dtype } } = args;
  if (dtype === x.dtype) return identity({ inputs: { x }, backend });
  if (x.dtype === 'string' || dtype === 'string' || x.dtype === 'complex64' || dtype === 'complex64') {
    return runOnCpu(Cast, { x }, { dtype }, backend) as TensorInfo;
  }
  const out = backend.makeOutput(x.shape, dtype);
  const src = backend.view(x);
  const dst = backend.view(out);
  if (dtype === 'int32') {
    for (let i = 0; i < src.length; i++) dst[i] = Math.trunc(src[i]);
  } else if (dtype === 'bool') {
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  } else {
    dst.set(src);
  }
  return out;
}

export const castConfig: KernelConfig = {
  kernelName: Cast,
  backendName: 'simd',
  kernelFunc: cast as unknown as KernelFunc,
};
