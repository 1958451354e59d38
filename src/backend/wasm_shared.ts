/**
 * The shared-memory variant of the kernel module, for the opt-in worker threads (threads.ts).
 *
 * The kernel module (assembly/ → build/simdnet.{simd,relaxed}.wasm) defines its own memory and
 * has no data segments, no globals and no start function (`--runtime stub`, `noAssert`, kernels
 * that never allocate): every instance only reads and writes memory through the pointers it is
 * given. N instances in N threads can therefore share one memory, as long as that memory is
 * declared `shared` and imported. `toSharedMemoryModule` makes that variant from the embedded
 * bytes by rewriting two sections — the memory section is dropped and an import
 * `env.memory (memory min max shared)` is added — leaving the code section byte-identical. The
 * result equals what `asc --importMemory --sharedMemory --maximumMemory <max> --enable threads`
 * emits for the same source (checked by tests/threads.test.ts against the asconfig.json targets
 * `simd-mt`/`relaxed-mt`), without shipping a third and fourth base64 copy in the bundles.
 *
 * Reference: WebAssembly core spec §5.5 (binary module sections: 1 type, 2 import, 5 memory,
 * 6 global, 8 start, 11 data) and the threads proposal (limits flag 0x03 = max + shared).
 */

/** Reads an unsigned LEB128 at `p`; returns [value, next offset]. */
function readU32(b: Uint8Array, p: number): [number, number] {
  let v = 0, shift = 0, x: number;
  do {
    if (p >= b.length) throw new Error('simdnet: truncated wasm module (LEB128 past the end)');
    x = b[p++];
    v += (x & 0x7f) * 2 ** shift;
    shift += 7;
  } while (x & 0x80);
  return [v, p];
}

function u32(v: number): number[] {
  const out: number[] = [];
  do {
    let x = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) x |= 0x80;
    out.push(x);
  } while (v > 0);
  return out;
}

function name(s: string): number[] {
  return [...u32(s.length), ...Array.from(s, c => c.charCodeAt(0))];
}

interface Section { id: number; body: Uint8Array; }

function sections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('simdnet: not a WebAssembly module (no \\0asm header)');
  }
  const out: Section[] = [];
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    const [size, q] = readU32(bytes, p);
    out.push({ id, body: bytes.subarray(q, q + size) });
    p = q + size;
  }
  return out;
}

/**
 * Rewrites the kernel module `bytes` to import its memory as `env.memory`, declared shared with
 * the given page limits (64 KiB pages; 1 ≤ initial ≤ maximum ≤ 65536).
 * @returns the new module bytes (the input is not modified).
 * @throws Error when `bytes` is not a wasm module, imports a memory already, has no single
 *   memory, or has data segments, globals or a start function (then instances sharing one
 *   memory could overwrite each other's state: the kernel module must stay free of them).
 */
export function toSharedMemoryModule(bytes: Uint8Array, maximumPages = 65536): Uint8Array {
  if (!(Number.isInteger(maximumPages) && maximumPages >= 1 && maximumPages <= 65536)) {
    throw new Error(`simdnet: shared memory maximum must be 1..65536 pages, got ${maximumPages}`);
  }
  const secs = sections(bytes);
  for (const s of secs) {
    if (s.id === 6 || s.id === 8 || s.id === 11) {
      throw new Error(`simdnet: the kernel module has a ${s.id === 6 ? 'global' : s.id === 8 ? 'start' : 'data'} section; ` +
          'it cannot be shared between threads (build it with --runtime stub and no static data)');
    }
  }
  const mem = secs.find(s => s.id === 5);
  if (mem === undefined) throw new Error('simdnet: the kernel module defines no memory (already imported?)');
  let [count, p] = readU32(mem.body, 0);
  if (count !== 1) throw new Error(`simdnet: the kernel module defines ${count} memories, expected 1`);
  const flags = mem.body[p++];
  let initial: number;
  [initial, p] = readU32(mem.body, p);
  if (flags & 1) [, p] = readU32(mem.body, p);
  initial = Math.max(1, Math.min(initial, maximumPages));
  const entry = [...name('env'), ...name('memory'), 0x02, 0x03, ...u32(initial), ...u32(maximumPages)];
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const emit = (id: number, body: ArrayLike<number>) => {
    out.push(id, ...u32(body.length));
    for (let i = 0; i < body.length; i++) out.push(body[i]);
  };
  const imports = secs.find(s => s.id === 2);
  let importsDone = false;
  const addImports = () => {
    if (importsDone) return;
    importsDone = true;
    if (imports === undefined) {
      emit(2, [...u32(1), ...entry]);
    } else {
      const [n, q] = readU32(imports.body, 0);
      emit(2, [...u32(n + 1), ...Array.from(imports.body.subarray(q)), ...entry]);
    }
  };
  for (const s of secs) {
    // Known sections are ordered type(1), import(2), function(3), …; custom (0) anywhere.
    if (s.id === 2) { addImports(); continue; }
    if (s.id === 5) continue;
    if (s.id !== 0 && s.id > 2) addImports();
    emit(s.id, s.body);
  }
  addImports();
  return new Uint8Array(out);
}
