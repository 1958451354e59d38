/**
 * A heap allocator over a WebAssembly.Memory, owned by JS. The AssemblyScript kernels never
 * allocate: every tensor, packed filter and scratch buffer is carved out here and passed to
 * them as a byte offset ("pointer").
 *
 * Design: 16-byte aligned blocks (v128 loads); an address-ordered list of free blocks searched
 * best-fit, split when the rest is worth keeping, coalesced with its neighbours on free, and
 * given back to the bump pointer when it ends at the top; `memory.grow` when the top runs out.
 * Repeated inference with the same shapes therefore keeps the memory size flat, and blocks of
 * different sizes reuse each other's space. Offsets may exceed 2^31: use `>>>`, never `>>`.
 * Typed-array views must be re-created after any allocation (a grow detaches the old
 * ArrayBuffer): use `f32()`/`i32()`/`u8()`.
 */
const PAGE = 65536;
const ALIGN = 16;
/** Bytes kept addressable past the top block, so a vector load that reads a few lanes past
 * the end of the last tensor (lanes the kernel then discards) can never trap. */
const GUARD = 256;
/** A free block is split only when at least this many bytes remain. */
const MIN_SPLIT = 256;

/** Rounds a byte count up to the allocation granule (16 bytes, at least 16). */
export function sizeClass(bytes: number): number {
  return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
}

/** The allocator described above, over one kernel module instance's exported memory. */
export class Heap {
  private top: number;
  /** Free blocks, sorted by address, never adjacent to each other or ending at `top`. */
  private readonly freePtr: number[] = [];
  private readonly freeSize: number[] = [];
  private readonly sizes = new Map<number, number>();
  private cached: ArrayBuffer | null = null;
  private f32View!: Float32Array;
  private i32View!: Int32Array;
  private u8View!: Uint8Array;
  /** Bytes in blocks handed out and not yet freed (16-byte rounded). */
  bytesInUse = 0;

  constructor(readonly memory: WebAssembly.Memory, heapBase: number) {
    this.top = Math.ceil(heapBase / ALIGN) * ALIGN;
  }

  /** Allocates `bytes` (≥ 0) and returns a 16-byte aligned offset.
   * @throws Error naming the size when the wasm memory cannot grow (4 GiB limit or host refusal). */
  alloc(bytes: number): number {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new Error(`simd heap: invalid allocation size ${bytes}`);
    const size = sizeClass(bytes);
    let best = -1;
    for (let i = 0; i < this.freeSize.length; i++) {
      const s = this.freeSize[i];
      if (s >= size && (best < 0 || s < this.freeSize[best])) {
        best = i;
        if (s === size) break;
      }
    }
    let ptr: number;
    let taken = size;
    if (best >= 0) {
      ptr = this.freePtr[best];
      const rest = this.freeSize[best] - size;
      if (rest >= MIN_SPLIT) {
        this.freePtr[best] = ptr + size;
        this.freeSize[best] = rest;
      } else {
        taken = this.freeSize[best];
        this.freePtr.splice(best, 1);
        this.freeSize.splice(best, 1);
      }
    } else {
      ptr = this.top;
      this.ensure(ptr + size + GUARD, bytes);
      this.top = ptr + size;
    }
    this.sizes.set(ptr, taken);
    this.bytesInUse += taken;
    return ptr;
  }

  private ensure(end: number, bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
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

  /** Returns a block to the free list, merging it with free neighbours.
   * @throws Error on an unknown offset (double free). */
  release(ptr: number): void {
    let size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`simd heap: free of unknown block at ${ptr}`);
    this.sizes.delete(ptr);
    this.bytesInUse -= size;
    let lo = 0, hi = this.freePtr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.freePtr[mid] < ptr) lo = mid + 1; else hi = mid;
    }
    let at = lo;
    if (at > 0 && this.freePtr[at - 1] + this.freeSize[at - 1] === ptr) {
      at--;
      ptr = this.freePtr[at];
      size += this.freeSize[at];
      this.freePtr.splice(at, 1);
      this.freeSize.splice(at, 1);
    }
    if (at < this.freePtr.length && ptr + size === this.freePtr[at]) {
      size += this.freeSize[at];
      this.freePtr.splice(at, 1);
      this.freeSize.splice(at, 1);
    }
    if (ptr + size === this.top) {
      this.top = ptr;
      return;
    }
    this.freePtr.splice(at, 0, ptr);
    this.freeSize.splice(at, 0, size);
  }

  /** Number of free blocks below the top (fragmentation indicator). */
  get freeBlocks(): number {
    return this.freePtr.length;
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
