/**
 * A heap allocator over a WebAssembly.Memory, owned by JS. The AssemblyScript kernels never
 * allocate: every tensor, packed filter and scratch buffer is carved out here and passed to
 * them as a byte offset ("pointer").
 *
 * Design: 16-byte aligned blocks (v128 loads), segregated free lists keyed by a rounded size
 * class, a bump pointer for fresh space, and `memory.grow` when the bump pointer runs out.
 * Freed blocks are reused for later requests of the same class, so repeated inference with
 * the same shapes keeps the memory size flat. Typed-array views must be re-created after
 * any allocation (a grow detaches the old ArrayBuffer): use `f32()`/`i32()`/`u8()`.
 */
const PAGE = 65536;
const ALIGN = 16;

/** Rounds a byte count up to its size class (16 B steps up to 1 KiB, then 8 steps per power of two). */
export function sizeClass(bytes: number): number {
  const b = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (b <= 1024) return b;
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 8;
  return Math.ceil(b / step) * step;
}

export class Heap {
  private top: number;
  private readonly free = new Map<number, number[]>();
  private readonly sizes = new Map<number, number>();
  private cached: ArrayBuffer | null = null;
  private f32View!: Float32Array;
  private i32View!: Int32Array;
  private u8View!: Uint8Array;
  /** Bytes in blocks handed out and not yet freed (size-class rounded). */
  bytesInUse = 0;

  constructor(readonly memory: WebAssembly.Memory, heapBase: number) {
    this.top = Math.ceil(heapBase / ALIGN) * ALIGN;
  }

  /** Allocates `bytes` (≥ 0) and returns a 16-byte aligned offset. Throws a RangeError-derived
   * Error naming the size when the wasm memory cannot grow (4 GiB limit or host refusal). */
  alloc(bytes: number): number {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new Error(`simd heap: invalid allocation size ${bytes}`);
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    let ptr: number;
    if (list !== undefined && list.length > 0) {
      ptr = list.pop()!;
    } else {
      ptr = this.top;
      const end = ptr + size;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        const pages = Math.ceil((end - have) / PAGE);
        try {
          this.memory.grow(Math.max(pages, Math.ceil(have / PAGE / 8)));
        } catch {
          try {
            this.memory.grow(pages);
          } catch (e) {
            throw new Error(`simd heap: out of memory allocating ${bytes} bytes ` +
                `(wasm memory is ${have} bytes): ${(e as Error).message}`);
          }
        }
      }
      this.top = end;
    }
    this.sizes.set(ptr, size);
    this.bytesInUse += size;
    return ptr;
  }

  /** Returns a block to its free list. Freeing an unknown offset throws (double free). */
  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`simd heap: free of unknown block at ${ptr}`);
    this.sizes.delete(ptr);
    this.bytesInUse -= size;
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, list = []);
    list.push(ptr);
  }

  /** Total bytes of the wasm linear memory. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Number of live blocks. */
  get liveBlocks(): number {
    return this.sizes.size;
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    if (buf !== this.cached) {
      this.cached = buf;
      this.f32View = new Float32Array(buf);
      this.i32View = new Int32Array(buf);
      this.u8View = new Uint8Array(buf);
    }
  }
  /** Float32 view of the whole memory (index = byteOffset / 4). Valid until the next alloc. */
  f32(): Float32Array { this.refresh(); return this.f32View; }
  /** Int32 view of the whole memory (index = byteOffset / 4). Valid until the next alloc. */
  i32(): Int32Array { this.refresh(); return this.i32View; }
  /** Byte view of the whole memory. Valid until the next alloc. */
  u8(): Uint8Array { this.refresh(); return this.u8View; }
}
