// Opt-in worker threads (src/backend/threads.ts): the shared-memory kernel module equals asc's
// --sharedMemory build; with threads enabled, conv (3×3, 1×1, 7×7/2, dilated, fused bias+relu),
// matMul (row split, column split, batched, transposed), 40 random conv/matMul shapes and ResNet-18 give bit-identical
// outputs to one thread, and really were split; a failing worker call surfaces as an Error;
// no tensors or heap bytes leak; disableThreads stops the pool; a process that never disables
// the pool still exits. The 'simd' backend is re-created on a shared memory for this file and
// re-created unshared at the end (uvu runs all files in one process).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { disableThreads, enableThreads, setThreads, simdBackend, threadsInfo, type BackendSimd } from '../src/index';
import { resnet18 } from '../src/models/index.js';
import { toSharedMemoryModule } from '../src/backend/wasm_shared';
import { guidedRanges } from '../src/backend/threads';
import { rejects } from './helpers';
import { SIMD_WASM_BASE64, RELAXED_WASM_BASE64 } from '../src/backend/wasm_embedded';

const THREADS = 3; // two workers + this thread: exercises uneven three-way splits

/** Re-creates backend 'simd' (tensors on it are lost): the next init runs its factory again. */
function recreateSimd(): void {
  const factory = tf.findBackendFactory('simd');
  assert.ok(factory != null, "backend 'simd' is registered");
  tf.removeBackend('simd');
  tf.registerBackend('simd', factory!, 3);
}


function backend(): BackendSimd {
  return simdBackend();
}

let splitTotal = 0;

/** Runs f with 1 thread and with THREADS; asserts identical values and (mustSplit) that the call was split. */
function sameAsSingle(label: string, f: () => tf.Tensor, mustSplit = true): void {
  setThreads(1);
  const a = f();
  const single = a.dataSync().slice();
  a.dispose();
  setThreads(THREADS);
  const before = backend().threads!.splitCalls;
  const b = f();
  const multi = b.dataSync().slice();
  b.dispose();
  if (mustSplit) assert.ok(backend().threads!.splitCalls > before, `${label}: the call was split over threads`);
  assert.is(multi.length, single.length, `${label}: length`);
  let firstDiff = -1;
  for (let i = 0; i < single.length; i++) {
    if (!Object.is(single[i], multi[i])) { firstDiff = i; break; }
  }
  assert.is(firstDiff, -1, `${label}: element ${firstDiff}: 1 thread ${single[firstDiff]}, ${THREADS} threads ${multi[firstDiff]}`);
}

test('the shared-memory module made from the embedded bytes equals asc --importMemory --sharedMemory', async () => {
  const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
  // (Re)build the asc shared-memory target when it is missing or older than the embedded build.
  const stale = (mt: string, plain: string) => !existsSync(mt) || (existsSync(plain) && statSync(mt).mtimeMs < statSync(plain).mtimeMs);
  if (stale('build/simdnet.simd-mt.wasm', 'build/simdnet.simd.wasm')) {
    const asc = (await import('assemblyscript/asc')).default;
    const { error } = await asc.main(['--target', 'simd-mt'], {});
    assert.is(error, null, `asc --target simd-mt: ${error?.message}`);
  }
  const pairs: [string, string][] = [[SIMD_WASM_BASE64, 'build/simdnet.simd-mt.wasm']];
  if (RELAXED_WASM_BASE64 && !stale('build/simdnet.relaxed-mt.wasm', 'build/simdnet.relaxed.wasm')) pairs.push([RELAXED_WASM_BASE64, 'build/simdnet.relaxed-mt.wasm']);
  for (const [embedded, file] of pairs) {
    const patched = toSharedMemoryModule(b64(embedded));
    assert.ok(Buffer.from(patched).equals(readFileSync(file)), `${file}: byte-identical to the patched embedded module`);
  }
  const m = new WebAssembly.Module(toSharedMemoryModule(b64(SIMD_WASM_BASE64)) as BufferSource);
  assert.equal(WebAssembly.Module.imports(m), [{ module: 'env', name: 'memory', kind: 'memory' }]);
  assert.throws(() => toSharedMemoryModule(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /not a WebAssembly module/);
  assert.throws(() => toSharedMemoryModule(toSharedMemoryModule(b64(SIMD_WASM_BASE64))), /defines no memory/);
});

test('enableThreads: refuses an unshared initialized backend and bad options; then starts the pool', async () => {
  assert.ok(await tf.setBackend('simd'));
  await rejects(enableThreads({ numThreads: 2 }), /already initialized on an unshared memory/);
  await rejects(enableThreads({ numThreads: 0 }), /numThreads must be an integer in 1\.\.64/);
  await rejects(enableThreads({ numThreads: 2, spinMicros: -5 }), /spinMicros must be an integer in 0\.\.1e6, got -5/);
  assert.throws(() => setThreads(2), /threads are not enabled/);
  recreateSimd();
  const info = await enableThreads({ numThreads: THREADS, spinMicros: 150 });
  assert.is(backend().threads!.spinMicros, 150);
  backend().threads!.spinMicros = 200;
  assert.equal(info, { supported: true, sharedMemory: true, numThreads: THREADS, poolThreads: THREADS, mainThreadBlocks: true });
  assert.ok(await tf.setBackend('simd'));
  assert.ok(backend().heap.memory.buffer instanceof SharedArrayBuffer, 'tensors live in shared memory');
  assert.throws(() => setThreads(THREADS + 1), /n must be an integer in 1\.\.3/);
});

test('conv2d (3×3, 1×1, 7×7/2, dilated, fused bias+relu, batch 2) threaded = single-threaded, bit for bit', () => {
  tf.tidy(() => {
    const x = tf.randomNormal([2, 30, 30, 24], 0, 1, 'float32', 1);
    const w3 = tf.randomNormal([3, 3, 24, 40], 0, 0.2, 'float32', 2);
    const w1 = tf.randomNormal([1, 1, 24, 72], 0, 0.2, 'float32', 3);
    const img = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 4);
    const w7 = tf.randomNormal([7, 7, 3, 64], 0, 0.2, 'float32', 5);
    const bias = tf.randomNormal([40], 0, 1, 'float32', 6);
    sameAsSingle('3×3 same', () => tf.conv2d(x, w3, 1, 'same'));
    sameAsSingle('3×3 valid stride 2', () => tf.conv2d(x, w3, 2, 'valid'));
    sameAsSingle('1×1', () => tf.conv2d(x, w1, 1, 'valid'));
    sameAsSingle('7×7/2 pad 3', () => tf.conv2d(img, w7, 2, [[0, 0], [3, 3], [3, 3], [0, 0]]));
    sameAsSingle('3×3 dilation 2', () => tf.conv2d(x, w3, 1, 'same', 'NHWC', 2));
    sameAsSingle('fused bias + relu', () => tf.fused.conv2d({ x, filter: w3, strides: 1, pad: 'same', bias, activation: 'relu' }));
    // 7×7 pixels (ResNet layer4): Cout is split instead of the pixels.
    const deep = tf.randomNormal([1, 7, 7, 256], 0, 1, 'float32', 20);
    sameAsSingle('7×7 pixels, 3×3 256→136 (Cout split)', () => tf.conv2d(deep, tf.randomNormal([3, 3, 256, 136], 0, 0.1, 'float32', 21), 1, 'same'));
    sameAsSingle('7×7 pixels, 1×1 256→520 (Cout split)', () => tf.conv2d(deep, tf.randomNormal([1, 1, 256, 520], 0, 0.1, 'float32', 22), 1, 'valid'));
  });
});

test('matMul (row split, column split for small M, batched, transposed) threaded = single-threaded', () => {
  tf.tidy(() => {
    const a = tf.randomNormal([301, 96], 0, 1, 'float32', 7);
    const b = tf.randomNormal([96, 130], 0, 1, 'float32', 8);
    sameAsSingle('301×96 · 96×130', () => tf.matMul(a, b));
    sameAsSingle('transposeA/transposeB', () => tf.matMul(a.transpose(), b.transpose(), true, true));
    const a2 = tf.randomNormal([3, 700], 0, 1, 'float32', 9);
    const b2 = tf.randomNormal([700, 1000], 0, 1, 'float32', 10);
    sameAsSingle('M = 3 (column split)', () => tf.matMul(a2, b2));
    const ab = tf.randomNormal([4, 128, 80], 0, 1, 'float32', 11);
    const bb = tf.randomNormal([4, 80, 120], 0, 1, 'float32', 12);
    sameAsSingle('batched 4 × (128×80 · 80×120)', () => tf.matMul(ab, bb));
    sameAsSingle('fused relu', () => tf.fused.matMul({ a, b, activation: 'relu' }));
  });
});

test('ResNet-18 (eval, 1×64×64×3) threaded = single-threaded, bit for bit', () => {
  const m = resnet18().eval();
  const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 13);
  const sum = (a: number[]) => a.reduce((p, q) => p + q, 0);
  const tasksBefore = sum(backend().threads!.workerTasks());
  sameAsSingle('resnet18', () => m.call(x) as tf.Tensor);
  assert.ok(sum(backend().threads!.workerTasks()) > tasksBefore, 'the workers ran some of the tasks');
  x.dispose();
  m.dispose();
});

test('random conv/matMul shapes (every call split: minFlops 0) threaded = single-threaded', () => {
  const t = backend().threads!;
  const saved = t.minFlops;
  t.minFlops = 0;
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return Math.floor(seed / 65536) % n; };
  try {
    for (let i = 0; i < 40; i++) {
      tf.tidy(() => {
        const kh = 1 + rnd(5), kw = 1 + rnd(5), s = 1 + rnd(3), d = rnd(4) === 0 ? 2 : 1;
        const h = kh * d + 4 + rnd(30), w = kw * d + 4 + rnd(30), cin = 1 + rnd(20), cout = 1 + rnd(70), b = 1 + rnd(2);
        const pad = (['same', 'valid'] as const)[rnd(2)];
        const x = tf.randomNormal([b, h, w, cin], 0, 1, 'float32', i);
        const f = tf.randomNormal([kh, kw, cin, cout], 0, 1, 'float32', 100 + i);
        const label = `conv ${b}×${h}×${w}×${cin} * ${kh}×${kw}→${cout} s${s} d${d} ${pad}`;
        if (d > 1 && s > 1) return; // tfjs: stride and dilation cannot both exceed 1
        const before = t.splitCalls;
        sameAsSingle(label, () => tf.conv2d(x, f, s, pad, 'NHWC', d), false);
        const m = 1 + rnd(100), k = 1 + rnd(60), n = 1 + rnd(70);
        sameAsSingle(`matMul ${m}×${k}·${k}×${n}`, () => tf.matMul(tf.randomNormal([m, k], 0, 1, 'float32', 200 + i),
            tf.randomNormal([k, n], 0, 1, 'float32', 300 + i)), false);
        splitTotal += t.splitCalls - before;
      });
    }
  } finally {
    t.minFlops = saved;
  }
  assert.ok(splitTotal >= 50, `most random calls were split (${splitTotal} of ≤ 80)`);
});

test('guidedRanges: contiguous whole-unit ranges covering the work, decreasing, short tail, bounded', () => {
  for (const [total, unit, t, minUnits, maxUnits] of [[3136, 4, 2, 49, Infinity], [196, 4, 2, 4, Infinity],
    [512, 8, 2, 2, Infinity], [197, 4, 3, 1, 5], [7, 1, 2, 1, Infinity], [1, 4, 4, 1, Infinity], [1000, 1, 8, 3, 40]]) {
    const r = guidedRanges(total, unit, t, minUnits, maxUnits);
    const label = `guidedRanges(${total}, ${unit}, ${t}, ${minUnits}, ${maxUnits}) = ${JSON.stringify(r)}`;
    let next = 0;
    for (let i = 0; i < r.length; i++) {
      const [start, count] = r[i];
      assert.is(start, next, label);
      assert.ok(start % unit === 0 && count > 0, label);
      if (i < r.length - 1) {
        assert.is(count % unit, 0, label);
        assert.ok(count >= minUnits * unit && count <= maxUnits * unit, label);
        // decreasing, except where the minimum or maximum size holds
        assert.ok(count >= r[i + 1][1] || r[i + 1][1] === minUnits * unit || count === maxUnits * unit, label);
      }
      next = start + count;
    }
    assert.is(next, total, label);
    // the first range is 1/(2t) of the work (bounded), the last at most max(min, 1/(2t) of what was left)
    assert.is(r[0][1], Math.min(total, maxUnits * unit, Math.max(minUnits, Math.ceil(Math.ceil(total / unit) / (2 * t))) * unit), label);
  }
});

test('spinMicros 0 (workers block at once) and large (they poll) give the same bits', () => {
  const t = backend().threads!;
  const saved = t.spinMicros;
  assert.throws(() => { t.spinMicros = -1; }, /spinMicros must be an integer in 0\.\.1e6, got -1/);
  try {
    for (const us of [0, 5000]) {
      t.spinMicros = us;
      tf.tidy(() => {
        const x = tf.randomNormal([1, 30, 30, 16], 0, 1, 'float32', 21);
        const w = tf.randomNormal([3, 3, 16, 40], 0, 0.2, 'float32', 22);
        for (let i = 0; i < 3; i++) sameAsSingle(`conv, spinMicros ${us}, call ${i}`, () => tf.conv2d(x, w, 1, 'same'));
      });
    }
  } finally {
    t.spinMicros = saved;
  }
});

test('elementwise (unary, binary with broadcasting), maxPool, conv2dTranspose and conv2d gradients threaded = single-threaded, bit for bit', () => {
  const t = backend().threads!;
  const saved = t.minFlops;
  t.minFlops = 0; // split even the small cases below
  try {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 33, 35, 19], 0, 2, 'float32', 31);
      const y = tf.randomNormal([2, 33, 35, 19], 0, 2, 'float32', 32);
      const bias = tf.randomNormal([19], 0, 1, 'float32', 33);
      const col = tf.randomNormal([2, 33, 1, 19], 0, 1, 'float32', 34);
      sameAsSingle('relu', () => tf.relu(x));
      sameAsSingle('sigmoid', () => tf.sigmoid(x));
      sameAsSingle('leakyRelu 0.1', () => tf.leakyRelu(x, 0.1));
      sameAsSingle('exp (odd length 2·33·35·19 − 1)', () => tf.exp(x.reshape([-1]).slice(1)));
      sameAsSingle('add same shape', () => tf.add(x, y));
      sameAsSingle('sub tensor − scalar', () => tf.sub(x, tf.scalar(0.25)));
      sameAsSingle('mul by a [C] vector (bias pattern)', () => tf.mul(x, bias));
      sameAsSingle('div by [N,H,1,C] (general broadcast)', () => tf.div(x, col));
      sameAsSingle('squaredDifference [C] − x', () => tf.squaredDifference(bias, x));
      const img = tf.randomNormal([1, 45, 47, 24], 0, 1, 'float32', 35);
      sameAsSingle('maxPool 3×3/2 same, batch 1 (row ranges)', () => tf.maxPool(img, 3, 2, 'same'));
      sameAsSingle('maxPool 2×2/2 valid, batch 1', () => tf.maxPool(img, 2, 2, 'valid'));
      sameAsSingle('maxPool 3×3/1 explicit pad 1, batch 2', () => tf.maxPool(x, 3, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]));
      const dy = tf.randomNormal([2, 9, 11, 24], 0, 1, 'float32', 38);
      const up = tf.randomNormal([2, 2, 13, 24], 0, 0.3, 'float32', 39);
      sameAsSingle('conv2dTranspose 2×2/2 (U-Net up), batch 2', () => tf.conv2dTranspose(dy, up, [2, 18, 22, 13], 2, 'valid'));
      const k3 = tf.randomNormal([3, 3, 5, 24], 0, 0.3, 'float32', 40);
      sameAsSingle('conv2dTranspose 3×3/2 same, odd output, batch 2', () => tf.conv2dTranspose(dy, k3, [2, 17, 21, 5], 2, 'same'));
      const xin = tf.randomNormal([1, 19, 23, 5], 0, 1, 'float32', 41);
      sameAsSingle('input gradient of conv2d 3×3/1 same', () => tf.grad((v: tf.Tensor4D) => tf.conv2d(v, k3, 1, 'same').square().sum())(xin));
      const k5 = tf.randomNormal([5, 3, 5, 11], 0, 0.3, 'float32', 42);
      sameAsSingle('filter gradient of conv2d 5×3/2 same (kw·inC = 15: padded to 16)',
          () => tf.grad((f: tf.Tensor4D) => tf.conv2d(xin, f, 2, 'same').square().sum())(k5));
      const wide = tf.randomNormal([2, 13, 17, 40], 0, 1, 'float32', 43);
      const k1 = tf.randomNormal([1, 1, 40, 30], 0, 0.3, 'float32', 44);
      sameAsSingle('filter gradient of conv2d 1×1, batch 2 (kh = 1: ranges of inC)',
          () => tf.grad((f: tf.Tensor4D) => tf.conv2d(wide, f, 1, 'valid').square().sum())(k1));
      const many = tf.randomNormal([9, 12, 14, 6], 0, 1, 'float32', 36);
      sameAsSingle('maxPool 2×2/2, batch 9 (image ranges)', () => tf.maxPool(many, 2, 2, 'valid'));
    });
  } finally {
    t.minFlops = saved;
  }
  // At the default threshold a small elementwise call stays on one thread.
  tf.tidy(() => {
    const small = tf.randomNormal([1000], 0, 1, 'float32', 37);
    const before = t.splitCalls;
    tf.relu(small).dataSync();
    assert.is(t.splitCalls, before, 'a 1000-element relu is not split');
  });
});

test('a failing call in a worker surfaces as an Error; the pool keeps working', () => {
  const t = backend().threads!;
  // gemm_f32 over pointers past the end of memory: a wasm trap inside worker 1.
  const bad = 0xfff00000;
  assert.throws(() => t.runOnWorker('gemm_f32', [8, 8, 64, bad, 256, bad, bad, bad, bad, 32, 0, 0, 0]),
      (e: Error) => /worker 1 failed: gemm_f32: .*out of bounds/i.test(e.message));
  tf.tidy(() => {
    const x = tf.randomNormal([1, 20, 20, 32], 0, 1, 'float32', 14);
    const w = tf.randomNormal([3, 3, 32, 32], 0, 0.2, 'float32', 15);
    sameAsSingle('conv after a worker failure', () => tf.conv2d(x, w, 1, 'same'));
  });
});

test('no tensors or heap bytes leak across repeated threaded calls', () => {
  setThreads(THREADS);
  const x = tf.randomNormal([1, 28, 28, 32], 0, 1, 'float32', 16);
  const w = tf.randomNormal([3, 3, 32, 48], 0, 0.2, 'float32', 17);
  const run = () => tf.tidy(() => tf.conv2d(x, w, 1, 'same').add(tf.matMul(x.reshape([784, 32]), w.reshape([288, 48]).slice([0, 0], [32, 48])).reshape([1, 28, 28, 48]))).dispose();
  run(); // packs the filters once
  const tensors = tf.memory().numTensors, heap = backend().heap.bytesInUse, blocks = backend().heap.liveBlocks;
  for (let i = 0; i < 20; i++) run();
  assert.is(tf.memory().numTensors, tensors);
  assert.is(backend().heap.bytesInUse, heap);
  assert.is(backend().heap.liveBlocks, blocks);
  x.dispose();
  w.dispose();
});

test('disableThreads stops the pool; the backend keeps its tensors and runs single-threaded', async () => {
  const x = tf.randomNormal([1, 16, 16, 32], 0, 1, 'float32', 18);
  const w = tf.randomNormal([3, 3, 32, 64], 0, 0.2, 'float32', 19);
  setThreads(THREADS);
  const threaded = tf.conv2d(x, w, 1, 'same');
  await disableThreads();
  assert.is(threadsInfo().poolThreads, 1);
  assert.is(threadsInfo().numThreads, 1);
  const splits = backend().threads!.splitCalls;
  const single = tf.conv2d(x, w, 1, 'same');
  assert.is(backend().threads!.splitCalls, splits, 'not split after disableThreads');
  assert.equal(single.dataSync(), threaded.dataSync());
  // enableThreads again restarts the pool on the same memory.
  await enableThreads({ numThreads: 2 });
  assert.is(threadsInfo().poolThreads, 2);
  await disableThreads();
  tf.dispose([x, w, threaded, single]);
});

test('disposing the backend (tf.removeBackend) stops its pool; a re-created backend is threaded again', async () => {
  await enableThreads({ numThreads: 2 });
  const t = backend().threads!;
  assert.is(t.poolThreads, 2);
  recreateSimd(); // tf.removeBackend → BackendSimd.dispose
  assert.is(t.poolThreads, 1, 'the disposed backend has no workers left');
  assert.ok(await tf.setBackend('simd')); // enableThreads' settings hold until disableThreads
  assert.is(threadsInfo().poolThreads, 2);
  assert.ok(backend().threads !== t);
});

test('concurrent enableThreads / disableThreads take effect one after the other, in call order', async () => {
  const [a, b] = await Promise.all([enableThreads({ numThreads: 2 }), enableThreads({ numThreads: 3 })]);
  assert.is(a.poolThreads, 2);
  assert.is(b.poolThreads, 3);
  assert.is(threadsInfo().poolThreads, 3);
  await Promise.all([disableThreads(), enableThreads({ numThreads: 2 }), disableThreads()]);
  assert.is(threadsInfo().poolThreads, 1, 'the last call (disable) wins');
  await rejects(enableThreads({ numThreads: '2' as unknown as number }), /numThreads must be an integer in 1\.\.64, got "2"/);
  const info = await enableThreads({ numThreads: 2 }); // a failed call does not block the next
  assert.is(info.poolThreads, 2);
});

test('a process that never calls disableThreads still exits', () => {
  const dir = mkdtempSync(join(process.cwd(), '.tmp-threads-'));
  const script = join(dir, 'child.mts');
  writeFileSync(script, `
    import * as tf from '@tensorflow/tfjs-core';
    import { enableThreads } from '../src/index';
    await enableThreads({ numThreads: 2 });
    await tf.setBackend('simd');
    const y = tf.conv2d(tf.ones([1, 32, 32, 32]), tf.ones([3, 3, 32, 16]), 1, 'same');
    console.log('sum ' + y.sum().dataSync()[0]);
  `);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', './scripts/node-env.mjs', script], { encoding: 'utf8', timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
  assert.is(r.status, 0, `exit status ${r.status} (signal ${r.signal}): ${r.stderr}`);
  // Each output = 32 × its in-image taps; Σ taps over a 32×32 'same' 3×3 = 9·30² + 6·4·30 + 4·4
  // (exact in float32: the total 4,523,776 < 2^24).
  const taps = 9 * 30 * 30 + 6 * 4 * 30 + 4 * 4;
  assert.ok(new RegExp(`sum ${taps * 32 * 16}\\b`).test(r.stdout), `child printed: ${r.stdout} ${r.stderr}`);
  assert.ok(Date.now() - t0 < 30_000);
});

test('CLI --threads 2: the LeNet-5 main job prints the same predictions as on one thread; --backend cpu is refused', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['bin/simdnet.mjs', 'classify', '--compare', 'none', ...args],
    { encoding: 'utf8', timeout: 120_000 });
  // Timings differ from run to run: compare everything else.
  const stable = (out: string) => out.replace(/[\d.]+ images\/s \([\d.]+ ms\)/g, '');
  const one = run(), two = run('--threads', '2');
  assert.is(one.status, 0, one.stderr);
  assert.is(two.status, 0, two.stderr);
  assert.match(two.stderr, /simd backend: 2 threads \(this one and 1 worker\)/);
  assert.match(one.stdout, /accuracy 0\.9\d+ \(9\d\d\/1000\)/);
  assert.is(stable(two.stdout), stable(one.stdout));
  // a job that fails its own checks never starts the threads
  const noWeights = spawnSync(process.execPath, ['bin/simdnet.mjs', 'detect', '--threads', '2', 'x.png'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(noWeights.status, 1);
  assert.match(noWeights.stderr, /--weights <file.safetensors> is required/);
  assert.not.match(noWeights.stderr, /threads \(this one/);
  const cpu = run('--threads', '2', '--backend', 'cpu');
  assert.is(cpu.status, 1);
  assert.match(cpu.stderr, /--threads 2 needs --backend simd \(got --backend cpu\)/);
});

test.after(async () => {
  await disableThreads();
  recreateSimd(); // later files get the default, unshared backend
  await tf.setBackend('simd');
});

test.run();
