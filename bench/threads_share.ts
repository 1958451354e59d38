/**
 * `node --import ./scripts/node-env.mjs bench/threads_share.ts [model] [size] [threads] [rounds]`
 * (defaults: resnet50 224 2 8; env THREADS_SPIN=<µs> sets SimdThreads.spinMicros, 0 = workers block
 * at once): how much of a zoo model's forward pass the opt-in threads
 * (src/backend/threads.ts) can split, and what they give here. Three modes alternate round by
 * round on one shared-memory backend, so that load from other processes hits all alike:
 *   1 thread        setThreads(1)
 *   N threads       setThreads(N)
 *   split, 1 thread setThreads(N) with runSplitsLocally: the calls that would be split run all
 *                   their tasks here, and SimdThreads.splitMs times them
 * Prints the medians (wall and process CPU ms), the split share s of the one-thread time and the
 * Amdahl bound 1 / (1 − s + s/N) for N idle cores, and a control: the speedup of N plain-JS
 * loops on N threads, i.e. how many cores the machine gives this process at that moment. On a
 * machine shared with other work the measured N-thread speedup is diluted; read it against the
 * control. The bound and the CPU overhead do not depend on the load.
 */
import { setFlagsFromString } from 'node:v8';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';

setFlagsFromString('--experimental-wasm-relaxed-simd'); // as bench/run.ts: the relaxed module
const { enableThreads, setThreads, simdBackend } = await import('../src/index');
const models = await import('../src/models/index.js');

const [name = 'resnet50', sizeArg = '224', threadsArg = '2', roundsArg = '8'] = process.argv.slice(2);
const size = Number(sizeArg), N = Number(threadsArg), rounds = Number(roundsArg);
const factory = (models as unknown as Record<string, (o?: object) => { eval(): { call(x: tf.Tensor): tf.Tensor }; dispose(): void }>)[name];
if (typeof factory !== 'function') throw new Error(`unknown model '${name}'`);

await enableThreads({ numThreads: N });
await tf.setBackend('simd');
tf.enableProdMode();
const threads = simdBackend().threads!;
if (process.env.THREADS_SPIN !== undefined) threads.spinMicros = Number(process.env.THREADS_SPIN);
const model = factory().eval();
const x = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 1);
const forward = () => tf.tidy(() => model.call(x)).dispose();
for (let i = 0; i < 3; i++) forward();
setThreads(N);
const s0 = threads.splitCalls, k0 = threads.splitTasks;
const sum = (a: number[]) => a.reduce((p, q) => p + q, 0);
const w0 = sum(threads.workerTasks());
forward();
const splitsPerForward = threads.splitCalls - s0;
const tasksPerForward = threads.splitTasks - k0;
const workerTasksPerForward = sum(threads.workerTasks()) - w0;

type Mode = { label: string; n: number; local: boolean; wall: number[]; cpu: number[]; split: number[]; wait: number[] };
const modes: Mode[] = [
  { label: '1 thread', n: 1, local: false, wall: [], cpu: [], split: [], wait: [] },
  { label: `${N} threads`, n: N, local: false, wall: [], cpu: [], split: [], wait: [] },
  { label: 'split calls, 1 thread', n: N, local: true, wall: [], cpu: [], split: [], wait: [] },
];
/** Control, independent of simdnet: how many cores this process gets right now, as the speedup
 * of N equal plain-JS loops on N threads (N − 1 workers) over one loop on this thread. */
async function availableParallelism(): Promise<number> {
  const { Worker } = await import('node:worker_threads');
  const n = 1.5e8;
  const loop = (k: number) => { let x = 0; for (let i = 0; i < k; i++) x += Math.sqrt(i); return x; };
  const src = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', k => { let x = 0; for (let i = 0; i < k; i++) x += Math.sqrt(i); parentPort.postMessage(x); });`;
  const workers = Array.from({ length: N - 1 }, () => new Worker(src, { eval: true }));
  await Promise.all(workers.map(w => new Promise(r => w.once('online', r))));
  loop(n);
  let t0 = performance.now();
  loop(n);
  const one = performance.now() - t0;
  t0 = performance.now();
  const done = workers.map(w => new Promise(r => w.once('message', r)));
  for (const w of workers) w.postMessage(n);
  loop(n);
  await Promise.all(done);
  const many = performance.now() - t0;
  await Promise.all(workers.map(w => w.terminate()));
  return N * one / many;
}
const control = await availableParallelism();
const load0 = loadavg()[0];
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < modes.length; k++) {
    const m = modes[(r + k) % modes.length];
    setThreads(m.n);
    threads.runSplitsLocally = m.local;
    threads.splitMs = 0;
    threads.waitMs = 0;
    const c0 = process.cpuUsage(), t0 = performance.now();
    forward();
    m.wall.push(performance.now() - t0);
    const dc = process.cpuUsage(c0);
    m.cpu.push((dc.user + dc.system) / 1000);
    m.split.push(threads.splitMs);
    m.wait.push(threads.waitMs);
  }
}
threads.runSplitsLocally = false;
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const m of modes) console.log(`${m.label.padEnd(22)} wall ${med(m.wall).toFixed(0).padStart(5)} ms (min ${Math.min(...m.wall).toFixed(0)}), cpu ${med(m.cpu).toFixed(0)} ms`);
const [one, many, local] = modes;
// The share from the same rounds' paired values of the local mode (its total and split part).
const share = med(local.split.map((s, i) => s / local.wall[i]));
console.log(`${name} ${size}×${size} batch 1: ${splitsPerForward} calls split per forward; the workers ran ` +
    `${workerTasksPerForward} of the ${tasksPerForward} tasks (${(100 * workerTasksPerForward / tasksPerForward).toFixed(0)}%)`);
console.log(`measured: ${N} threads ÷ 1 thread = ${(med(one.wall) / med(many.wall)).toFixed(2)}× wall, ` +
    `CPU per forward ${(med(many.cpu) / med(one.cpu)).toFixed(3)}× (threading overhead)`);
console.log(`split share of the one-thread time: ${(100 * share).toFixed(1)}% -> Amdahl bound on ${N} idle cores ` +
    `${(1 / (1 - share + share / N)).toFixed(2)}×`);
console.log(`control: ${N} plain-JS loops on ${N} threads ran ${control.toFixed(2)}× as fast as one (the cores this process ` +
    `got at the start); load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
console.log(`${N} threads: the calling thread waited for workers finishing their last task ${med(many.wait).toFixed(1)} ms ` +
    `per forward (median; the imbalance at the ends of the split calls)`);
