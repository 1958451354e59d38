/**
 * Source of the thread-pool worker (threads.ts), as a string: started with
 * `new Worker(src, { eval: true })` under Node worker_threads and from a Blob URL in browsers,
 * so it needs no file next to the bundle and no loader hooks (tfjs is not loaded in it).
 *
 * Protocol. The worker receives one message `{ type: 'init', module, memory, names, slot }`:
 * the shared-memory kernel module (wasm_shared.ts), the shared WebAssembly.Memory, the export
 * names it may call, and the byte offset of its slot in that memory. It instantiates the module
 * on the memory, answers `{ type: 'ready' }` (or `{ type: 'error', message }`), then blocks in a
 * dispatch loop on its slot (Int32 fields, see SLOT in threads.ts):
 *   [0] seq   — the main thread increments it (and notifies) to post a job
 *   [1] done  — the worker stores the job's seq when it has finished (and notifies)
 *   [2] status — 0 ok, 1 the job threw (message in the error area, its byte length in [4])
 *   [3] calls — number of calls in the job
 *   [5] quit  — 1: leave the loop and close
 * A job is a list of calls at byte SLOT_CALLS of the slot, as float64s: export index, argument
 * count, arguments (i32 pointers up to 2^32 and f32 values are exact in a float64).
 */
export const SLOT_HEADER_I32 = 8;
export const SLOT_ERROR_BYTES = 256;
/** Byte offset of the call list inside a slot (8-aligned). */
export const SLOT_CALLS = SLOT_HEADER_I32 * 4 + SLOT_ERROR_BYTES;

export const WORKER_SOURCE = `'use strict';
const SLOT_CALLS = ${SLOT_CALLS}, ERROR_AT = ${SLOT_HEADER_I32 * 4}, ERROR_BYTES = ${SLOT_ERROR_BYTES};
const node = typeof self === 'undefined' && typeof process === 'object';
let post, close;
if (node) {
  const { parentPort } = require('node:worker_threads');
  post = m => parentPort.postMessage(m);
  close = () => process.exit(0);
  parentPort.on('message', start);
} else {
  post = m => self.postMessage(m);
  close = () => self.close();
  self.onmessage = e => start(e.data);
}
function start(msg) {
  if (msg == null || msg.type !== 'init') return;
  let fns;
  try {
    const inst = new WebAssembly.Instance(msg.module, { env: {
      memory: msg.memory,
      abort(_m, _f, line, col) { throw new Error('simdnet kernel aborted at ' + line + ':' + col); },
    } });
    fns = msg.names.map(n => {
      const f = inst.exports[n];
      if (typeof f !== 'function') throw new Error('kernel module has no export ' + n);
      return f;
    });
  } catch (e) {
    post({ type: 'error', message: String((e && e.message) || e) });
    return;
  }
  post({ type: 'ready' });
  loop(msg.memory.buffer, msg.slot, fns, msg.names);
  close();
}
function loop(buffer, slot, fns, names) {
  // The slot lies below the memory size at start; later growth does not move it.
  const i32 = new Int32Array(buffer), f64 = new Float64Array(buffer), u8 = new Uint8Array(buffer);
  const S = slot >>> 2;
  let seen = Atomics.load(i32, S);
  for (;;) {
    Atomics.wait(i32, S, seen);
    if (Atomics.load(i32, S + 5) === 1) return;
    const seq = Atomics.load(i32, S);
    if (seq === seen) continue;
    seen = seq;
    let status = 0, where = '';
    try {
      const n = i32[S + 3];
      let p = (slot + SLOT_CALLS) >>> 3;
      for (let c = 0; c < n; c++) {
        const fn = f64[p], argc = f64[p + 1];
        where = names[fn];
        fns[fn].apply(null, f64.subarray(p + 2, p + 2 + argc));
        p += 2 + argc;
      }
    } catch (e) {
      status = 1;
      const text = new TextEncoder().encode((where ? where + ': ' : '') + String((e && e.message) || e));
      const len = Math.min(text.length, ERROR_BYTES);
      u8.set(text.subarray(0, len), slot + ERROR_AT);
      i32[S + 4] = len;
    }
    i32[S + 2] = status;
    Atomics.store(i32, S + 1, seq);
    Atomics.notify(i32, S + 1);
  }
}
`;
