/**
 * Shared glue for the kernels in src/backend/kernels/: argument checks with clear messages,
 * and the unary/binary kernel factories that call a wasm export or delegate to cpu.
 */
import { backend_util, DataType, KernelFunc, MaxPoolAttrs, NamedAttrMap, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from './backend_simd';
import type { ExportName } from './threads';
import { runOnCpu } from './cpu_fallback';

/** Throws `Error("<kernel>: <name> must be rank <rank>, got rank r (shape [..])")`. */
export function assertRank(kernel: string, name: string, t: TensorInfo | undefined, rank: number): void {
  if (t == null) throw new Error(`${kernel}: input '${name}' is missing`);
  if (t.shape.length !== rank) {
    throw new Error(`${kernel}: ${name} must be rank ${rank}, got rank ${t.shape.length} (shape [${t.shape}])`);
  }
}

/** Throws `Error("<kernel>: <name> must have dtype d, got dtype e")`. */
export function assertDtype(kernel: string, name: string, t: TensorInfo, dtypes: DataType[]): void {
  if (!dtypes.includes(t.dtype)) {
    throw new Error(`${kernel}: ${name} must have dtype ${dtypes.join(' or ')}, got ${t.dtype}`);
  }
}

/** A wasm export called with (ptr/len...) numbers. */
export type WasmFn = (...args: number[]) => number | void;

/** Looks up a wasm export by name, with a clear error if the module lacks it. */
export function wasmFn(backend: BackendSimd, name: string): WasmFn {
  const f = backend.wasm[name];
  if (typeof f !== 'function') throw new Error(`simd backend: the kernel module has no export '${name}'`);
  return f as WasmFn;
}

/**
 * A unary float32 kernel `y = f(x)` running the wasm export `exportName(xPtr, yPtr, n)`.
 * Other dtypes are delegated to tfjs-backend-cpu's kernel of the same name.
 */
export function unaryKernel(kernelName: string, exportName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as BackendSimd;
    const { x } = inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') return runOnCpu(kernelName, { x }, attrs as NamedAttrMap, b);
    const out = b.makeOutput(x.shape, 'float32');
    const n = out.shape.reduce((a, c) => a * c, 1);
    if (n === 0) return out;
    const xp = b.ptr(x), yp = b.ptr(out);
    // Large calls are split over worker threads where enabled (threads.ts).
    if (b.threads !== null && b.threads.elementwise(exportName as ExportName, n, (s0, count) => [xp + 4 * s0, yp + 4 * s0, count])) {
      return out;
    }
    (wasmFn(b, exportName))(xp, yp, n);
    return out;
  };
}

/**
 * The shared glue of the 2-D pooling kernels (`MaxPool`, `AvgPool`): x [N, H, W, C] (NHWC)
 * must be rank 4; non-float32 goes to cpu; the geometry comes from
 * `backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode)` as in
 * tfjs-backend-cpu; a 1×1 filter whose output shape equals the input shape returns x itself
 * (shared, refcounted), like cpu; otherwise `impl` computes the output.
 * @throws Error if x is not rank 4, or the geometry is invalid.
 */
export function pool2dKernel(kernelName: string,
    impl: (backend: BackendSimd, x: TensorInfo, convInfo: backend_util.Conv2DInfo) => TensorInfo) {
  return (args: { inputs: { x: TensorInfo }; backend: BackendSimd; attrs: PoolAttrs }): TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    assertRank(kernelName, 'x', x, 4);
    if (x.dtype !== 'float32') return runOnCpu(kernelName, { x }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
    const { filterSize, strides, pad, dimRoundingMode } = attrs;
    const convInfo = backend_util.computePool2DInfo(x.shape as [number, number, number, number],
        filterSize, strides, 1, pad, dimRoundingMode);
    if (convInfo.filterWidth === 1 && convInfo.filterHeight === 1 && util.arraysEqual(convInfo.inShape, convInfo.outShape)) {
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }
    return impl(backend, x, convInfo);
  };
}

/** The attributes MaxPool and AvgPool share (tfjs-core MaxPoolAttrs / AvgPoolAttrs). */
export type PoolAttrs = MaxPoolAttrs;
