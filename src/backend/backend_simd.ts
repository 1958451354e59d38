/**
 * The `simd` backend: a tfjs-core `KernelBackend` whose tensors live in the linear memory of
 * an AssemblyScript/WebAssembly-SIMD kernel module (assembly/ → build/simdnet.*.wasm).
 *
 * Contract (tfjs-core/src/backends/backend.ts): write/move copy values into the wasm heap
 * once; readSync/read return copies; disposeData frees the block and every packed-weight
 * cache entry made from that tensor; numDataIds is exact (tfjs' IS_TEST leak check relies on
 * it). Kernels (src/backend/kernels/*.ts) pass byte offsets to the wasm exports, never arrays.
 */
import {
  BackendTimingInfo, DataId, DataStorage, DataType, DataValues, engine, KernelBackend,
  TensorInfo, util, backend_util,
} from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Heap } from './heap';
import { KernelExports } from './wasm_loader';
import type { SimdThreads } from './threads';

/** Per-tensor record. `ptr`/`bytes` address the heap block; strings stay in JS. */
export interface TensorData {
  id: number;
  ptr: number;
  bytes: number;
  shape: number[];
  dtype: DataType;
  refCount: number;
  strings?: Uint8Array[];
}

/** Memory figures of the simd backend, on top of tfjs' `MemoryInfo`. */
export interface SimdMemoryInfo {
  unreliable: boolean;
  /** Size of the wasm linear memory in bytes. */
  wasmMemoryBytes: number;
  /** Bytes of the heap handed out to tensors, packed weights and scratch buffers. */
  heapBytesInUse: number;
  /** Bytes held by the packed-weight cache (part of heapBytesInUse). */
  packedBytes: number;
}

function bytesPerElement(dtype: DataType): number {
  switch (dtype) {
    case 'float32': case 'int32': return 4;
    case 'bool': return 1;
    case 'string': return 0;
    default: throw new Error(`simd backend: dtype '${dtype}' is not supported (float32, int32, bool and string are)`);
  }
}

/** The typed-array class the backend reads and writes for a dtype. */
export function arrayTypeFor(dtype: DataType): Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor {
  return dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array;
}

interface PackedEntry { key: string; ptr: number; bytes: number; }

/**
 * The `simd` KernelBackend (see the file comment): one per wasm instance; tensors are heap
 * blocks addressed by byte offset; kernels in ./kernels call `wasm` exports with those offsets.
 * @throws from write/makeOutput when the wasm memory cannot grow (Heap.alloc).
 */
export class BackendSimd extends KernelBackend {
  static nextId = 0;
  readonly data: DataStorage<TensorData>;
  readonly heap: Heap;
  /** Exported kernels of the wasm module, called with byte offsets and scalars. */
  readonly wasm: KernelExports;
  /** Packed filters (GEMM-ready panels), keyed by the filter tensor's dataId. */
  private readonly packed = new Map<DataId, PackedEntry[]>();
  private packedBytes = 0;
  /** Worker threads on a shared memory (threads.ts enableThreads); null: single-threaded, unshared. */
  threads: SimdThreads | null = null;
  private cpuBackend: MathBackendCPU | null = null;
  private disposed = false;

  constructor(wasm: KernelExports) {
    super();
    this.wasm = wasm;
    this.heap = new Heap(wasm.memory, wasm.heapBase());
    this.data = new DataStorage(this, engine());
  }

  /** A private tfjs `cpu` backend instance for the kernels delegated to it (cpu_fallback.ts). */
  get cpu(): MathBackendCPU {
    if (this.cpuBackend === null) {
      this.cpuBackend = new MathBackendCPU();
      // Private instance: skip its one-time "install tfjs-node" notice.
      (this.cpuBackend as unknown as { firstUse: boolean }).firstUse = false;
    }
    return this.cpuBackend;
  }

  override write(values: backend_util.BackendValues | null, shape: number[], dtype: DataType): DataId {
    const dataId = { id: BackendSimd.nextId++ };
    this.move(dataId, values, shape, dtype, 1);
    return dataId;
  }

  override move(dataId: DataId, values: backend_util.BackendValues | null, shape: number[],
      dtype: DataType, refCount: number): void {
    const size = util.sizeFromShape(shape);
    if (dtype === 'string') {
      const strings = (values ?? []) as Uint8Array[];
      this.data.set(dataId, { id: (dataId as { id: number }).id, ptr: 0, bytes: 0, shape: shape.slice(), dtype, refCount, strings });
      return;
    }
    const bytes = size * bytesPerElement(dtype);
    const ptr = bytes > 0 ? this.heap.alloc(bytes) : 0;
    this.data.set(dataId, { id: (dataId as { id: number }).id, ptr, bytes, shape: shape.slice(), dtype, refCount });
    if (bytes === 0) return;
    const Arr = arrayTypeFor(dtype);
    const dst = new Arr(this.heap.memory.buffer, ptr, size);
    if (values == null) dst.fill(0);
    else if ((values as ArrayLike<number>).length !== size) {
      throw new Error(`simd backend: write of ${dtype} tensor with shape [${shape}] got ` +
          `${(values as ArrayLike<number>).length} values, expected ${size}`);
    } else dst.set(values as ArrayLike<number>);
  }

  /** Allocates an output tensor (uninitialized contents) and returns its TensorInfo. */
  makeOutput(shape: number[], dtype: DataType): TensorInfo {
    const dataId = { id: BackendSimd.nextId++ };
    const size = util.sizeFromShape(shape);
    const bytes = size * bytesPerElement(dtype);
    const ptr = bytes > 0 ? this.heap.alloc(bytes) : 0;
    this.data.set(dataId, { id: dataId.id, ptr, bytes, shape: shape.slice(), dtype, refCount: 1 });
    return { dataId, shape: shape.slice(), dtype };
  }

  /** tfjs-backend-cpu's helper of the same name: a new tensor holding a copy of `values`. */
  makeTensorInfo(shape: number[], dtype: DataType, values?: backend_util.BackendValues | string[]): TensorInfo {
    if (dtype === 'string' && values != null && (values as unknown[]).length > 0 && typeof (values as unknown[])[0] === 'string') {
      values = (values as string[]).map(s => util.encodeString(s as string));
    }
    const dataId = this.write((values ?? null) as backend_util.BackendValues | null, shape, dtype);
    return { dataId, shape, dtype };
  }

  /** Byte offset of a tensor's data in the wasm memory. */
  ptr(t: TensorInfo): number {
    return this.data.get(t.dataId).ptr;
  }

  /** A typed-array view (no copy) of a tensor's data in the heap. Valid until the next allocation. */
  view(t: TensorInfo): Float32Array | Int32Array | Uint8Array {
    const d = this.data.get(t.dataId);
    const Arr = arrayTypeFor(d.dtype);
    return new Arr(this.heap.memory.buffer, d.ptr, util.sizeFromShape(d.shape));
  }

  /** Allocates a scratch block; free it with `freeScratch` in a finally clause. */
  scratch(bytes: number): number {
    return bytes > 0 ? this.heap.alloc(bytes) : 0;
  }
  freeScratch(ptr: number): void {
    if (ptr !== 0) this.heap.release(ptr);
  }

  /**
   * Returns the heap offset of a packed form of `owner` (a filter tensor) for `key` (the
   * packing parameters), calling `fill(ptr)` to create it on first use. The block is freed
   * when `owner` is disposed.
   */
  packedFor(owner: DataId, key: string, bytes: number, fill: (ptr: number) => void): number {
    let list = this.packed.get(owner);
    const hit = list?.find(e => e.key === key);
    if (hit !== undefined) return hit.ptr;
    const ptr = this.heap.alloc(bytes);
    try {
      fill(ptr);
    } catch (e) {
      this.heap.release(ptr);
      throw e;
    }
    if (list === undefined) this.packed.set(owner, list = []);
    list.push({ key, ptr, bytes });
    this.packedBytes += bytes;
    return ptr;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }
  override incRef(dataId: DataId): void {
    this.data.get(dataId).refCount++;
  }
  decRef(dataId: DataId): void {
    if (this.data.has(dataId)) this.data.get(dataId).refCount--;
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    const d = this.data.get(dataId);
    if (d.dtype === 'string') return d.strings!;
    const Arr = arrayTypeFor(d.dtype);
    const size = util.sizeFromShape(d.shape);
    if (size === 0) return new Arr(0);
    return new Arr(this.heap.memory.buffer, d.ptr, size).slice();
  }

  override async read(dataId: DataId): Promise<backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const d = this.data.get(dataId);
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    if (d.ptr !== 0 && !this.disposed) this.heap.release(d.ptr);
    const packs = this.packed.get(dataId);
    if (packs !== undefined) {
      for (const p of packs) {
        if (!this.disposed) this.heap.release(p.ptr);
        this.packedBytes -= p.bytes;
      }
      this.packed.delete(dataId);
    }
    this.data.delete(dataId);
    return true;
  }

  /** Frees an intermediate tensor made inside a kernel (name as in tfjs-backend-cpu). */
  disposeIntermediateTensorInfo(t: TensorInfo): void {
    this.disposeData(t.dataId);
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override memory(): SimdMemoryInfo {
    return {
      unreliable: false,
      wasmMemoryBytes: this.heap.memoryBytes,
      heapBytesInUse: this.heap.bytesInUse,
      packedBytes: this.packedBytes,
    };
  }

  override async time(f: () => void): Promise<BackendTimingInfo> {
    const start = util.now();
    f();
    return { kernelMs: util.now() - start };
  }
  override timerAvailable(): boolean {
    return true;
  }
  override floatPrecision(): 16 | 32 {
    return 32;
  }
  override epsilon(): number {
    return 1e-7;
  }
  override dispose(): void {
    this.threads?.close();
    this.disposed = true;
    this.packed.clear();
    this.cpuBackend?.dispose();
    this.cpuBackend = null;
  }
}

export type { DataValues };
