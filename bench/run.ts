/**
 * `npm run bench [-- options]`: kernel and model benchmarks of the `simd` backend against tfjs
 * `wasm` (@tensorflow/tfjs-backend-wasm: XNNPACK, WebAssembly SIMD, one thread in Node) and tfjs
 * `cpu`, in one process. See bench/README.md for how to read the output.
 *
 * Options:
 *   --filter <regex>   only the cases whose name matches (case-insensitive)
 *   --quick            fewer warm-up and timed runs (a smoke test, not a measurement)
 *   --no-cpu           skip tfjs cpu for the cases marked cpuSlow (≳1 s per call: models, atrous)
 *   --backends <list>  comma-separated subset of simd,wasm,cpu (default: all three)
 *   --no-relaxed       load the plain-SIMD kernel module even where relaxed SIMD is available
 *   --threads <n>      also time simd on n worker threads (enableThreads): a lane 'simd×n' beside 'simd'
 *                      (1 thread), both on the same shared-memory backend, alternating as the others
 *   --no-plain         skip the 'simd-plain' rows (the plain-SIMD build beside the relaxed one)
 *   --json             print only a JSON array of {case, backend, medianMs, gflops} on stdout
 *   --list             print the case names and exit
 *
 * Method, per case: the inputs are created on every backend first (outside the timed region);
 * then the backends take turns, one call each per round (the order rotating every round), so that
 * load from other processes hits all of them alike: first the warm-up rounds, then the timed
 * rounds. A timed call is the op (or the model forward inside tf.tidy) plus the disposal of its
 * output: the three backends run kernels synchronously, so the kernel has finished when the op
 * returns, and no readback copy is timed. Reported: the median (and minimum) wall time of the timed
 * calls, and the median CPU time of the process per call.
 *
 * Relaxed vs plain SIMD: where 'simd' runs the relaxed-SIMD build, the cases marked
 * `relaxedCompare` (the 3×3 convolutions) also run on 'simd-plain', a second backend instance
 * on the plain-SIMD build (bench/plain_backend.ts), alternating with the others, and print the
 * speed-up simd-plain ÷ simd (the target: ≥ 1.3 on 3×3 convolution).
 */
import { setFlagsFromString } from 'node:v8';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import '../src/index';
import * as wasmLoader from '../src/backend/wasm_loader';
import { enableThreads, setThreads } from '../src/backend/threads';
import { CASES, clearInputCache, countFlops, type BenchCase, type Prepared } from './cases';
import { measurePeak, type Peak } from './peak';
import { PLAIN_BACKEND, registerPlainSimdBackend } from './plain_backend';

// ---- options -----------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
function option(name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}
if (flag('--help') || flag('-h')) {
  const src = await import('node:fs').then(fs => fs.readFileSync(fileURLToPath(import.meta.url), 'utf8'));
  console.log(src.slice(src.indexOf(' * `npm run bench'), src.indexOf(' * Method')).replace(/^ \* ?/gm, ''));
  process.exit(0);
}
const json = flag('--json');
const quick = flag('--quick');
const noCpu = flag('--no-cpu');
const filterSrc = option('--filter');
const filter = filterSrc === undefined ? null : new RegExp(filterSrc, 'i');
const KNOWN_BACKENDS = ['simd', 'wasm', 'cpu'] as const;
const wanted = (option('--backends') ?? KNOWN_BACKENDS.join(',')).split(',').map(s => s.trim()).filter(Boolean);
for (const b of wanted) {
  if (!(KNOWN_BACKENDS as readonly string[]).includes(b)) throw new Error(`--backends: unknown backend '${b}' (simd, wasm, cpu)`);
}

const cases = CASES.filter(c => filter === null || filter.test(c.name));
if (cases.length === 0) {
  console.error(`--filter ${filterSrc}: no case matches (see --list)`);
  process.exit(1);
}
if (flag('--list')) {
  for (const c of cases) console.log(c.name);
  process.exit(0);
}

// With --json, stdout carries the JSON array only: everything else goes to stderr.
const say: (line: string) => void = json ? line => process.stderr.write(line + '\n') : line => process.stdout.write(line + '\n');
if (json) console.log = console.error;

// Relaxed SIMD (fused multiply-add) ships enabled in Chrome ≥ 114 and Node ≥ 22; Node 20 needs
// --experimental-wasm-relaxed-simd, which npm scripts cannot pass through NODE_OPTIONS. V8 reads
// wasm feature flags at validation time, so setting it here, before the first module compiles,
// lets the simd backend pick its relaxed variant (src/backend/wasm_loader.ts).
if (flag('--no-relaxed')) process.env.SIMDNET_NO_RELAXED = '1';
else setFlagsFromString('--experimental-wasm-relaxed-simd');

// --threads n: the simd backend is created on a shared memory with a pool of n threads; lane
// 'simd' runs it with setThreads(1), lane 'simd×n' with setThreads(n).
const THREADS = Number(option('--threads') ?? 1);
if (!(Number.isInteger(THREADS) && THREADS >= 1 && THREADS <= 64)) throw new Error(`--threads: expected an integer 1..64, got ${option('--threads')}`);
const SIMD_MT = `simd×${THREADS}`;
if (THREADS > 1 && wanted.includes('simd')) await enableThreads({ numThreads: THREADS });

/** Timing policy: warm-up and timed calls per backend, from the first call's duration. */
const POLICY = quick
  ? { minWarm: 2, minWarmWasm: 3, warmMs: 200, minReps: 5, maxReps: 15, repMs: 500 }
  : { minWarm: 3, minWarmWasm: 5, warmMs: 1000, minReps: 10, maxReps: 40, repMs: 2000 };
/**
 * tfjs cpu calls this slow get 1 warm-up call and 3 timed calls (1 with --quick). Over
 * CPU_VERY_SLOW_MS (ResNet-50, VGG-16: minutes on a loaded 2-core VM) the first call is the one
 * measurement: JIT warm-up is a negligible part of it, and a second call would double the run.
 */
const CPU_SLOW_MS = 1000;
const CPU_VERY_SLOW_MS = 10000;

// ---- backends ----------------------------------------------------------------------------------

/** Loads tfjs-backend-wasm: its flat ES-module build, with Emscripten pointed at its .wasm files. */
let wasmVersion = '?';
async function loadTfjsWasm(): Promise<string | null> {
  try {
    const wasmDir = fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));
    // Emscripten's Node path reads `__dirname`, which ES modules lack.
    (globalThis as { __dirname?: string }).__dirname ??= wasmDir;
    // The package's module entry imports a CommonJS worker file that Node's ESM loader cannot
    // link; the fesm bundle does not, and shares this process's tfjs-core.
    const m = (await import('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.js' as string)) as typeof tfWasm;
    m.setWasmPaths(wasmDir);
    wasmVersion = m.version_wasm;
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

async function activate(backend: string): Promise<void> {
  if (THREADS > 1 && (backend === 'simd' || backend === SIMD_MT)) {
    setThreads(backend === SIMD_MT ? THREADS : 1);
    backend = 'simd';
  }
  if (tf.getBackend() === backend) return;
  if (!(await tf.setBackend(backend))) throw new Error(`backend '${backend}' failed to initialize`);
}

// ---- timing ------------------------------------------------------------------------------------

/** One timed call, the op then disposal of its output: wall ms and this process's CPU ms. */
function timeOnce(p: Prepared): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const y = p.run();
  y.dispose();
  const wall = performance.now() - t0;
  const dc = process.cpuUsage(c0);
  return { wall, cpu: (dc.user + dc.system) / 1000 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

interface Lane {
  backend: string;
  prepared: Prepared;
  warm: number;      // warm-up calls to make (including the first)
  reps: number;      // timed calls to make
  warmTimes: number[];
  times: number[];
  cpuTimes: number[];
  error?: string;
}

/** Runs `rounds` of calls, backends taking turns (the start rotating); `want(l)` = calls still due. */
async function alternate(lanes: Lane[], want: (l: Lane) => boolean, record: (l: Lane, t: { wall: number; cpu: number }) => void): Promise<void> {
  for (let round = 0; lanes.some(l => !l.error && want(l)); round++) {
    for (let k = 0; k < lanes.length; k++) {
      const l = lanes[(round + k) % lanes.length];
      if (l.error || !want(l)) continue;
      try {
        await activate(l.backend);
        record(l, timeOnce(l.prepared));
      } catch (e) {
        l.error = (e as Error).message.split('\n')[0];
      }
    }
  }
}

function planWarmup(l: Lane): void {
  const t = l.warmTimes[0];
  if (l.backend === 'cpu' && t >= CPU_SLOW_MS) { l.warm = 1; return; }
  const min = l.backend === 'cpu' ? POLICY.minWarm : POLICY.minWarmWasm;
  l.warm = Math.min(50, Math.max(min, Math.ceil(POLICY.warmMs / Math.max(t, 1e-3))));
}

function planReps(l: Lane): void {
  // the warmed-up duration: the median of the last (up to 3) warm-up calls
  const t = median(l.warmTimes.slice(-3));
  if (l.backend === 'cpu' && l.warmTimes[0] >= CPU_VERY_SLOW_MS) l.reps = 1; // the first call, already timed
  else if (l.backend === 'cpu' && t >= CPU_SLOW_MS) l.reps = quick ? 1 : 3;
  else l.reps = Math.min(POLICY.maxReps, Math.max(POLICY.minReps, Math.ceil(POLICY.repMs / Math.max(t, 1e-3))));
}

// ---- output ------------------------------------------------------------------------------------

interface Row { case: string; backend: string; runs: number; medianMs: number; minMs: number; cpuMs: number; gflops: number | null; ratio: number | null; }

const COLS = [
  { title: 'case', width: 42, left: true },
  { title: 'backend', width: 10, left: true },
  { title: 'runs', width: 4 },
  { title: 'median ms', width: 10 },
  { title: 'min ms', width: 9 },
  { title: 'cpu ms', width: 9 },
  { title: 'GFLOP/s', width: 8 },
  { title: '% peak', width: 6 },
  { title: '÷ wasm', width: 7 },
];
const line = (cells: string[]) => cells.map((c, i) => (COLS[i].left ? c.padEnd(COLS[i].width) : c.padStart(COLS[i].width))).join('  ').trimEnd();
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

// ---- main --------------------------------------------------------------------------------------

const started = performance.now();
tf.enableProdMode();

const backends: string[] = [];
const notes: string[] = [];
for (const b of wanted) {
  if (b === 'wasm') {
    const err = await loadTfjsWasm();
    if (err !== null) { notes.push(`tfjs wasm: not loaded (${err})`); continue; }
  }
  try {
    await activate(b);
    if (b === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // skip its "install tfjs-node" notice
    backends.push(b);
  } catch (e) {
    notes.push(`${b}: not available (${(e as Error).message})`);
  }
}
if (backends.length === 0) throw new Error('no backend could be initialized');
if (THREADS > 1 && backends.includes('simd')) backends.splice(backends.indexOf('simd') + 1, 0, SIMD_MT);
/** Whether the relaxed-compare cases get a 'simd-plain' lane (simd runs the relaxed build). */
let plainLane = false;
if (backends.includes('simd') && !flag('--no-plain') && cases.some(c => c.relaxedCompare)) {
  await activate('simd');
  if (wasmLoader.wasmVariant === 'relaxed') {
    try {
      registerPlainSimdBackend();
      await activate(PLAIN_BACKEND);
      plainLane = true;
    } catch (e) {
      notes.push(`${PLAIN_BACKEND}: not available (${(e as Error).message})`);
    }
  }
}

const load = () => loadavg().map(x => x.toFixed(2)).join(' ');
say(`simdnet bench: Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load()}`);
let peak: Peak | null = null;
if (backends.includes('simd')) {
  await activate('simd');
  say(`simd backend: kernel module variant '${wasmLoader.wasmVariant}'` + (flag('--no-relaxed') ? ' (--no-relaxed)'
      : wasmLoader.wasmVariant === 'relaxed' ? ' (relaxed SIMD: enabled by this script with --experimental-wasm-relaxed-simd on Node 20; --no-relaxed for the plain one)'
      : ' (this engine rejected the relaxed-SIMD module)'));
  peak = measurePeak(quick ? 15 : 30);
  say(peak === null
    ? 'SIMD peak: n/a (the kernel module has no peak loops: run `npm run build:wasm`)'
    : `SIMD peak, 1 thread, register-only loops: f32x4 mul+add ${peak.mulAdd.toFixed(1)} GFLOP/s` +
      (peak.fused ? `, f32x4.relaxed_madd (fused) ${peak.madd.toFixed(1)} GFLOP/s` : '') +
      `; "% peak" is of ${peak.best.toFixed(1)} GFLOP/s`);
}
if (backends.includes('wasm')) {
  await activate('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  say(`tfjs wasm: tfjs-backend-wasm ${wasmVersion} (XNNPACK), SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}`);
}
if (plainLane) {
  say(`${PLAIN_BACKEND}: a second simd backend on the plain-SIMD build (f32x4.mul + f32x4.add), beside 'simd' on the ` +
      `relaxed one (f32x4.relaxed_madd), for the 3×3 convolutions; "relaxed speed-up" = ${PLAIN_BACKEND} ms ÷ simd ms`);
}
for (const n of notes) say(n);
say(`timing: ${quick ? '--quick: ' : ''}warm-up ≥${POLICY.minWarmWasm} calls (simd, wasm) / ≥${POLICY.minWarm} (cpu) and ≥${POLICY.warmMs} ms, ` +
    `then the median of ${POLICY.minReps}-${POLICY.maxReps} calls (≥${POLICY.repMs} ms); ` +
    `tfjs cpu over ${CPU_SLOW_MS / 1000} s per call: 1 warm-up, ${quick ? 1 : 3} timed (over ${CPU_VERY_SLOW_MS / 1000} s: the first call only)` +
    (noCpu ? '; --no-cpu: tfjs cpu skipped on the slow cases' : ''));
say(`median/min ms: wall time of the timed calls; cpu ms: median CPU time of this process per call (steadier ` +
    `when other processes compete for the cores); GFLOP/s = FLOPs / median ms; ` +
    `÷ wasm = this backend's median / tfjs wasm's median (simd row: < 1 means simd is faster)`);
say('');
say(line(COLS.map(c => c.title)));
say(line(COLS.map(c => '-'.repeat(c.width))));

const results: Row[] = [];
const footnotes: string[] = [];
const speedups: string[] = [];
for (const c of cases) {
  const rows = await runCase(c);
  if (c.note !== undefined && rows.length > 0) footnotes.push(`[${footnotes.length + 1}] ${c.name}: ${c.note}`);
  const mark = c.note !== undefined && rows.length > 0 ? ` [${footnotes.length}]` : '';
  for (const r of rows) say(line([r.case + mark, r.backend, String(r.runs), ms(r.medianMs), ms(r.minMs), ms(r.cpuMs),
    r.gflops === null ? '—' : r.gflops.toFixed(1),
    r.gflops === null || peak === null ? '—' : (100 * r.gflops / peak.best).toFixed(0) + '%',
    r.ratio === null ? '—' : r.ratio.toFixed(2)]));
  results.push(...rows);
  const relaxed = rows.find(r => r.backend === 'simd'), plain = rows.find(r => r.backend === PLAIN_BACKEND);
  if (relaxed && plain) {
    const line = `${c.name}: relaxed speed-up ${(plain.medianMs / relaxed.medianMs).toFixed(2)}× (median ms), ` +
        `${(plain.cpuMs / relaxed.cpuMs).toFixed(2)}× (cpu ms)`;
    say(`  ↳ ${line}`);
    speedups.push(line);
  }
}
say('');
if (speedups.length > 0) {
  say(`relaxed SIMD (simd) vs plain SIMD (${PLAIN_BACKEND}), same process, alternating; target ≥ 1.30×:`);
  for (const l of speedups) say(`  ${l}`);
  say('');
}
for (const f of footnotes) say(f);
if (footnotes.length > 0) say('');
if (THREADS > 1) {
  for (const c of cases) {
    const one = results.find(r => r.case === c.name && r.backend === 'simd');
    const mt = results.find(r => r.case === c.name && r.backend === SIMD_MT);
    if (one && mt) say(`threads: ${c.name}: simd ${ms(one.medianMs)} ms, ${SIMD_MT} ${ms(mt.medianMs)} ms: ${(one.medianMs / mt.medianMs).toFixed(2)}× (cpu ms ${ms(one.cpuMs)} → ${ms(mt.cpuMs)})`);
  }
  say('');
}
say(`done in ${((performance.now() - started) / 60000).toFixed(1)} min; load average now ${load()}`);
if (json) {
  process.stdout.write(JSON.stringify(results.map(r => ({ case: r.case, backend: r.backend, medianMs: r.medianMs, gflops: r.gflops }))) + '\n');
}

/** Prepares `c` on every backend, times it (alternating), frees it; returns one row per backend. */
async function runCase(c: BenchCase): Promise<Row[]> {
  const lanes: Lane[] = [];
  try {
    const caseBackends = plainLane && c.relaxedCompare
      ? backends.flatMap(b => (b === 'simd' ? [b, PLAIN_BACKEND] : [b])) : backends;
    for (const b of caseBackends) {
      if (b === 'cpu' && noCpu && c.cpuSlow) continue;
      await activate(b);
      let p: Prepared | string;
      try {
        p = c.setup();
      } catch (e) {
        say(line([c.name, b, '', `error: ${(e as Error).message.split('\n')[0]}`]));
        continue;
      }
      if (typeof p === 'string') {
        say(line([c.name, '', '', `skipped: ${p}`]));
        return [];
      }
      lanes.push({ backend: b, prepared: p, warm: 1, reps: 0, warmTimes: [], times: [], cpuTimes: [] });
    }

    // FLOPs of a model: count its convolutions and matrix products once (on a fast backend).
    let flops = c.flops ?? null;
    if (flops === null && c.kind === 'model' && lanes.length > 0) {
      const l = lanes.find(x => x.backend !== 'cpu') ?? lanes[0];
      await activate(l.backend);
      flops = await countFlops(() => l.prepared.run());
    }

    await alternate(lanes, l => l.warmTimes.length < 1, (l, t) => {
      l.warmTimes.push(t.wall);
      if (l.backend === 'cpu' && t.wall >= CPU_VERY_SLOW_MS) { l.times.push(t.wall); l.cpuTimes.push(t.cpu); }
    });
    lanes.forEach(planWarmup);
    await alternate(lanes, l => l.warmTimes.length < l.warm, (l, t) => l.warmTimes.push(t.wall));
    lanes.forEach(planReps);
    await alternate(lanes, l => l.times.length < l.reps, (l, t) => { l.times.push(t.wall); l.cpuTimes.push(t.cpu); });

    const wasmLane = lanes.find(l => l.backend === 'wasm' && !l.error);
    const wasmMs = wasmLane ? median(wasmLane.times) : null;
    const rows: Row[] = [];
    for (const l of lanes) {
      if (l.error) { say(line([c.name, l.backend, '', `error: ${l.error}`])); continue; }
      const m = median(l.times);
      rows.push({
        case: c.name, backend: l.backend, runs: l.times.length, medianMs: m, minMs: Math.min(...l.times), cpuMs: median(l.cpuTimes),
        gflops: flops === null ? null : flops / m / 1e6,
        ratio: wasmMs === null ? null : m / wasmMs,
      });
    }
    return rows;
  } finally {
    for (const l of lanes) l.prepared.dispose();
    clearInputCache();
  }
}
