// ready(): backend selection with reasons, tf.setBackend's false return, and the known-answer
// check (half-float precision and wrong conv results are caught), in Node. The browser side
// (simd in Chromium, webgl through SwiftShader, forced fp16 textures) is in tests/browser/run.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ready, knownAnswerCheck } from '../src/index';

let before: string | undefined;
const FAKES = ['test-broken', 'test-fp16', 'test-badconv'];

/** Rounds to 11 significant bits, like a half-float render target. */
function toHalf(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const q = 2 ** (Math.floor(Math.log2(Math.abs(v))) - 10);
  return Math.round(v / q) * q;
}

/** A cpu backend named `name` whose `kernel` output goes through `post`. */
function fakeBackend(name: string, kernels: Record<string, (values: Float32Array) => void>): void {
  tf.registerBackend(name, () => Object.assign(new MathBackendCPU(), { firstUse: false }), 0);
  tf.copyRegisteredKernels('cpu', name);
  for (const [kernelName, post] of Object.entries(kernels)) {
    const cpu = tf.getKernel(kernelName, 'cpu')!;
    tf.unregisterKernel(kernelName, name);
    tf.registerKernel({
      kernelName, backendName: name,
      kernelFunc: args => {
        const out = cpu.kernelFunc(args) as tf.TensorInfo;
        post((args.backend as MathBackendCPU).data.get(out.dataId).values as Float32Array);
        return out;
      },
    });
  }
}

test.before(() => {
  before = tf.getBackend();
  tf.registerBackend('test-broken', () => { throw new Error('boom'); }, 0);
  const half = (v: Float32Array) => v.forEach((x, i) => { v[i] = toHalf(x); });
  fakeBackend('test-fp16', { Add: half, Square: half });
  fakeBackend('test-badconv', { Conv2D: v => v.fill(0) });
});

test.after(async () => {
  for (const name of FAKES) if (tf.findBackendFactory(name)) tf.removeBackend(name);
  if (before) await tf.setBackend(before);
});

test('default order picks simd in Node, nothing skipped', async () => {
  const r = await ready();
  assert.equal(r, { backend: 'simd', reasons: [] });
  assert.is(tf.getBackend(), 'simd');
});

test('webgl is skipped in Node with a reason, without loading tfjs-backend-webgl', async () => {
  const r = await ready({ prefer: ['webgl', 'cpu'] });
  assert.is(r.backend, 'cpu');
  assert.is(r.reasons.length, 1);
  assert.match(r.reasons[0], /^webgl: no WebGL in this environment/);
  assert.is(tf.findBackendFactory('webgl'), null, 'webgl was registered (imported) in Node');
});

/** Runs `fn` without tfjs' console warning for the backend that fails on purpose. */
async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

test('unknown and failing backends: reasons, including setBackend returning false', async () => {
  const r = await quiet(() => ready({ prefer: ['nope', 'test-broken', 'simd'] }));
  assert.is(r.backend, 'simd');
  assert.match(r.reasons[0], /^nope: no backend 'nope' is registered/);
  assert.match(r.reasons[1], /^test-broken: tf\.setBackend\('test-broken'\) returned false/);
});

test('half-float precision is caught by the 1 + 2^-20 probe unless allowHalfFloat', async () => {
  const strict = await ready({ prefer: ['test-fp16', 'cpu'] });
  assert.is(strict.backend, 'cpu');
  assert.match(strict.reasons[0], /^test-fp16: returned half-float precision: 1 \+ 2\^-20 came back as 1 /);
  const relaxed = await ready({ prefer: ['test-fp16'], allowHalfFloat: true });
  assert.equal(relaxed, { backend: 'test-fp16', reasons: [] });
});

test('a wrong conv2d is caught by the known-answer check', async () => {
  const r = await ready({ prefer: ['test-badconv', 'simd'] });
  assert.is(r.backend, 'simd');
  assert.match(r.reasons[0], /^test-badconv: conv2d known-answer check failed: got \[0, 0, 0, 0, 0, 0, 0, 0\], expected \[37, -4, 47, -4, 67, -4, 77, -4\]/);
});

test('no usable backend: rejects listing every reason; the previous backend stays active', async () => {
  assert.ok(await tf.setBackend('simd'));
  try {
    await quiet(() => ready({ prefer: ['webgl', 'test-broken', 'test-badconv'] }));
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, /no usable backend among \[webgl, test-broken, test-badconv\]:\n {2}webgl: no WebGL.*\n {2}test-broken: .*\n {2}test-badconv: conv2d/s);
  }
  assert.is(tf.getBackend(), 'simd');
});

test('knownAnswerCheck passes on simd and cpu', async () => {
  for (const name of ['simd', 'cpu']) {
    assert.ok(await tf.setBackend(name));
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;  // no tfjs-node banner
    assert.is(await knownAnswerCheck(), null, name);
  }
});

test.run();
