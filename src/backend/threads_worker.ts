/**
 * Source of the thread-pool worker (threads.ts), as a string: started with
 * `new Worker(src, { eval: true })` under Node worker_threads and from a Blob URL in browsers,
 * so it needs no file next to the bundle and no loader hooks (tfjs is not loaded in it).
 *
 * Protocol. The worker receives one message `{ type: 'init', module, memory, names, slot, job }`:
 * the shared-memory kernel module (wasm_shared.ts), the shared WebAssembly.Memory, the export
 * names it may call, and the byte offsets of its own slot and of the pool's job area in that
 * memory. It instantiates the module on the memory, answers `{ type: 'ready' }` (or
 * `{ type: 'error', message }`), then blocks in a dispatch loop on its slot (Int32 fields):
 *   [0] seq   — the main thread increments it (and notifies) to post a job
 *   [1] done  — the worker stores the job's seq when it has finished (and notifies)
 *   [2] status — 0 ok, 1 a call threw (message in the error area, its byte length in [4])
 *   [3] tasks — how many tasks this worker has run (a running count, for tests and benchmarks)
 *   [5] quit  — 1: leave the loop and close
 *   [6] scratch — this thread's scratch block for the job (see below)
 *   [7] spin  — microseconds the worker polls [0] after a job before it blocks in Atomics.wait
 * The job area (Int32 fields, shared by all threads): [0] task count, [1] next task; from
 * JOB_TABLE the start of each task (and the end of the last) as float64 indices relative to
 * JOB_CALLS; from JOB_CALLS the calls as float64s: export index, argument count, index of the
 * argument to replace by the thread's scratch block (−1: none), arguments (i32 pointers up to
 * 2^32 and f32 values are exact in a float64). Every thread, the main one included, claims tasks
 * with Atomics.add on [1] until none is left (dynamic scheduling: a thread that the OS
 * preempts simply takes fewer tasks).
 */
export const SLOT_BYTES = 512;
export const SLOT_HEADER_I32 = 8;
export const SLOT_ERROR_BYTES = 256;
/** Most tasks in one job. */
export const MAX_TASKS = 256;
/** Int32 index (relative to the job area) of the task table. */
export const JOB_TABLE = 4;
/** Byte offset of the calls inside the job area (8-aligned). */
export const JOB_CALLS = Math.ceil((JOB_TABLE + MAX_TASKS + 1) * 4 / 8) * 8;
/** Float64 entries for the calls of one job. */
export const JOB_CALL_CAPACITY = 8192;
/** Bytes of the job area. */
export const JOB_BYTES = JOB_CALLS + JOB_CALL_CAPACITY * 8;

export const WORKER_SOURCE = `'use strict';
const ERROR_AT = ${SLOT_HEADER_I32 * 4}, ERROR_BYTES = ${SLOT_ERROR_BYTES}, JOB_TABLE = ${JOB_TABLE}, JOB_CALLS = ${JOB_CALLS};
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
  loop(msg.memory.buffer, msg.slot, msg.job, fns, msg.names);
  close();
}
function loop(buffer, slot, job, fns, names) {
  // The slot and the job area lie below the memory size at start; later growth does not move them.
  const i32 = new Int32Array(buffer), f64 = new Float64Array(buffer), u8 = new Uint8Array(buffer);
  const S = slot >>> 2, J = job >>> 2, CALLS = (job + JOB_CALLS) >>> 3;
  // Not Atomics.load: the main thread may post the first job (seq 1) between our 'ready' and
  // this line; the slot was zero-filled before 'init', so 0 is the value before any job.
  let seen = 0;
  for (;;) {
    // Spin a little before sleeping: the next split call of a forward pass usually follows within
    // tens of microseconds, and waking a thread from Atomics.wait costs about as much (more in a VM).
    const spin = i32[S + 7];
    if (spin > 0 && Atomics.load(i32, S) === seen) {
      const until = performance.now() + spin / 1000;
      for (let k = 1; Atomics.load(i32, S) === seen; k++) {
        if ((k & 63) === 0 && performance.now() > until) break;
      }
    }
    Atomics.wait(i32, S, seen);
    if (Atomics.load(i32, S + 5) === 1) return;
    const seq = Atomics.load(i32, S);
    if (seq === seen) continue;
    seen = seq;
    let status = 0, where = '';
    try {
      const scratch = i32[S + 6] >>> 0, n = i32[J];
      for (;;) {
        const t = Atomics.add(i32, J + 1, 1);
        if (t >= n) break;
        i32[S + 3]++; // tasks this worker ran (its slot alone writes it)
        let p = CALLS + i32[J + JOB_TABLE + t];
        const end = CALLS + i32[J + JOB_TABLE + t + 1];
        while (p < end) {
          const fn = f64[p], argc = f64[p + 1], sub = f64[p + 2];
          const args = Array.from(f64.subarray(p + 3, p + 3 + argc));
          if (sub >= 0) args[sub] = scratch;
          where = names[fn];
          fns[fn].apply(null, args);
          p += 3 + argc;
        }
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
