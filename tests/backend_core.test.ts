// The simd backend's storage contract: write/read copies, refcounted reshape, dispose frees
// heap blocks, memory growth keeps data intact, bad input gives clear errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { simdBackend, NATIVE_KERNELS, FALLBACK_KERNELS } from '../src/index';
import { Heap } from '../src/backend/heap';

test.before(async () => {
  assert.ok(await tf.setBackend('simd'), 'simd backend initializes');
});

test('write/read round trip for float32, int32, bool, string', () => {
  const f = tf.tensor([1.5, -2, 3.25], [3], 'float32');
  const i = tf.tensor([1, -2, 2147483647], [3], 'int32');
  const b = tf.tensor([true, false, true], [3], 'bool');
  const s = tf.tensor(['a', 'bc'], [2], 'string');
  assert.equal(Array.from(f.dataSync()), [1.5, -2, 3.25]);
  assert.equal(Array.from(i.dataSync()), [1, -2, 2147483647]);
  assert.equal(Array.from(b.dataSync()), [1, 0, 1]);
  assert.equal(s.arraySync(), ['a', 'bc']);
  tf.dispose([f, i, b, s]);
});

test('reads return copies, not views into the heap', () => {
  const t = tf.tensor([1, 2, 3]);
  const v = t.dataSync() as Float32Array;
  v[0] = 100;
  assert.is(t.dataSync()[0], 1);
  t.dispose();
});

test('reshape shares data; heap bytes return to start after dispose', () => {
  const be = simdBackend();
  const start = be.memory().heapBytesInUse;
  const t = tf.tensor([1, 2, 3, 4], [2, 2]);
  const r = t.reshape([4]);
  t.dispose();
  assert.equal(Array.from(r.dataSync()), [1, 2, 3, 4]);
  r.dispose();
  assert.is(be.memory().heapBytesInUse, start);
});

test('memory.grow keeps earlier tensors intact', () => {
  const small = tf.tensor([7, 8, 9]);
  const big = tf.zeros([8 * 1024 * 1024]);  // 32 MiB forces several grows
  assert.equal(Array.from(small.dataSync()), [7, 8, 9]);
  assert.is(big.dataSync()[8 * 1024 * 1024 - 1], 0);
  tf.dispose([small, big]);
});

test('kernel lists: native kernels are registered, the rest delegate to cpu', () => {
  for (const k of ['Relu', 'Reshape', 'Identity', 'Cast']) assert.ok(NATIVE_KERNELS.includes(k), k);
  assert.ok(FALLBACK_KERNELS.length > 50);
  for (const k of NATIVE_KERNELS) assert.not.ok(FALLBACK_KERNELS.includes(k), `${k} is native, not delegated`);
});

test('reshape to a wrong size names both shapes', () => {
  const t = tf.tensor([1, 2, 3]);
  assert.throws(() => tf.engine().runKernel('Reshape', { x: t }, { shape: [2, 2] }), /\[3\].*\[2,2\]/);
  t.dispose();
});

test('heap allocator: best-fit reuse, coalescing, top shrinks back', () => {
  const mem = new WebAssembly.Memory({ initial: 1 });
  const h = new Heap(mem, 1024);
  const a = h.alloc(1000), b = h.alloc(5000), c = h.alloc(300);
  assert.ok(a % 16 === 0 && b % 16 === 0 && c % 16 === 0);
  assert.ok(b >= a + 1000 && c >= b + 5000, 'blocks do not overlap');
  h.release(a);
  h.release(b);               // a and b coalesce into one free block
  assert.is(h.freeBlocks, 1);
  const d = h.alloc(5800);    // fits only in the merged a+b block
  assert.is(d, a);
  h.release(d);
  h.release(c);               // everything free: the top returns to the base, no free blocks left
  assert.is(h.freeBlocks, 0);
  assert.is(h.bytesInUse, 0);
  assert.is(h.alloc(16), a);
  assert.throws(() => h.release(12345), /unknown block/);
  const big = h.alloc(3 * 65536);  // grows the memory
  assert.ok(mem.buffer.byteLength >= big + 3 * 65536);
});

test.run();
