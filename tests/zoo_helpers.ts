// Shared by tests/zoo_*.test.ts and tests/ops_*.test.ts: the PyTorch golden fixtures of
// tests/fixtures/torch (gen_fixtures.py), NCHW <-> NHWC, and the fixture-vs-model checks.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensorsFile, serializeSafetensors, type SafetensorsFile, type SafetensorsTensorInput } from '../src/io/safetensors.js';
import { seededStateDict, type SeededEntry } from './torch_weights';
import { BatchNorm2d, Conv2d, MaxPool2d, ReLU, type AnyModule } from '../src/nn/index.js';
import { makeVggLayers, vggConfigs } from '../src/models/index.js';

export const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/torch/', import.meta.url));

/**
 * Reads tests/fixtures/torch/<name>.safetensors. A missing file is an error naming the file and
 * how to make it - never a skipped test.
 */
export async function loadTorchFixture(name: string): Promise<SafetensorsFile> {
  const path = `${FIXTURE_DIR}${name}.safetensors`;
  if (!existsSync(path)) {
    throw new Error(`missing PyTorch fixture ${path}: generate it with ` +
      `'/usr/bin/python3 tests/fixtures/torch/gen_fixtures.py ${name}' (torch + torchvision 0.14)`);
  }
  return readSafetensorsFile(path);
}

/** A float32 tensor of a loaded fixture file; throws naming `file` when it is missing or not F32. */
export function fixtureF32(fixture: SafetensorsFile, name: string, file: string): { shape: number[]; data: Float32Array } {
  const t = fixture.tensors.get(name);
  if (t == null || t.dtype !== 'F32') throw new Error(`${file}: tensor ${name} missing or not F32`);
  return { shape: t.shape, data: t.data as Float32Array };
}

/** The state-dict entries (PyTorch names and shapes; num_batches_tracked as int64) of a module
 * built by `make`; the module is disposed. */
export function stateDictEntries(make: () => AnyModule): SeededEntry[] {
  const probe = make();
  const sd = probe.stateDict();
  const entries = Object.entries(sd).map(([name, t]) =>
    ({ name, shape: t.shape, dtype: name.endsWith('num_batches_tracked') ? 'int64' as const : 'float32' as const }));
  tf.dispose(Object.values(sd));
  probe.dispose();
  return entries;
}

/** The weights of the seeded rule (tests/torch_weights.ts) for `entries` as the bytes of a
 * .safetensors file (F32; I64 for int64 entries); `rename` [from, to] stores one key under
 * another name (for key-mismatch tests). */
export function seededSafetensors(entries: SeededEntry[], rename?: [string, string]): Uint8Array {
  const tensors = new Map<string, SafetensorsTensorInput>();
  for (const [k, t] of seededStateDict(entries)) {
    const key = rename && k === rename[0] ? rename[1] : k;
    tensors.set(key, t.data instanceof Float32Array ? { dtype: 'F32', shape: t.shape, data: t.data }
      : { dtype: 'I64', shape: t.shape, data: Array.from(t.data) });
  }
  return serializeSafetensors(tensors);
}

/**
 * Compares a model output with a PyTorch fixture tensor: `got` NHWC, `want` NCHW. Asserts
 * max |got - want| <= 1e-4 · max(1, max|want|) (NaN counts as infinite), appends a report line
 * to `report` and returns the max abs error.
 */
export function compareNhwcToTorch(got: tf.Tensor, want: { shape: number[]; data: Float32Array }, label: string,
    report: string[]): number {
  const g = tf.tidy(() => nhwcToNchw(got));
  try {
    assert.equal(g.shape, want.shape, `${label}: shape`);
    const d = g.dataSync();
    let err = 0, maxAbs = 0;
    for (let i = 0; i < d.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(want.data[i]));
      const e = Math.abs(d[i] - want.data[i]);
      if (!(e <= err)) err = Number.isNaN(e) ? Infinity : e;
    }
    const tol = 1e-4 * Math.max(1, maxAbs);
    assert.ok(err <= tol, `${label}: max abs error ${err} > ${tol} (max|ref| ${maxAbs})`);
    report.push(`${label.padEnd(40)} max|ref| ${maxAbs.toFixed(3).padStart(7)}  err ${err.toExponential(2)}`);
    return err;
  } finally {
    g.dispose();
  }
}

/** NCHW float32 values -> NHWC tf.Tensor4D. */
export function nchwToNhwc(data: Float32Array, shape: number[]): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [0, 2, 3, 1]));
}

/** NHWC tensor -> NCHW (rank 4), other ranks unchanged (a new tensor either way). */
export function nhwcToNchw(t: tf.Tensor): tf.Tensor {
  return t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : tf.clone(t);
}

/** A float32 tensor of a fixture, with a clear error when absent. */
export function fixtureTensor(f: SafetensorsFile, name: string): { shape: number[]; data: Float32Array } {
  const t = f.tensors.get(name);
  if (t == null) throw new Error(`fixture has no tensor '${name}' (has: ${[...f.tensors.keys()].join(', ')})`);
  if (t.dtype !== 'F32') throw new Error(`fixture tensor '${name}' is ${t.dtype}, expected F32`);
  return { shape: t.shape, data: t.data as Float32Array };
}

/** The model fixture's metadata, parsed. */
export interface ModelFixture {
  file: SafetensorsFile;
  entries: SeededEntry[];
  paramCount: number;
  input: { shape: number[]; data: Float32Array };
  output: { shape: number[]; data: Float32Array };
  maxAbs: number;
}

export async function loadModelFixture(name: string): Promise<ModelFixture> {
  const file = await loadTorchFixture(name);
  const m = file.metadata;
  for (const k of ['state_dict', 'param_count']) if (m[k] == null) throw new Error(`${name}.safetensors: metadata '${k}' missing`);
  const output = fixtureTensor(file, 'output');
  let maxAbs = 0;
  for (const v of output.data) maxAbs = Math.max(maxAbs, Math.abs(v));
  return {
    file,
    entries: JSON.parse(m.state_dict) as SeededEntry[],
    paramCount: Number(m.param_count),
    input: fixtureTensor(file, 'input'),
    output,
    maxAbs,
  };
}

/** Asserts that the model's state dict has exactly the fixture's keys, in order, with its shapes. */
export function expectSameKeys(model: AnyModule, fx: ModelFixture, label: string): void {
  const sd = model.stateDict();
  try {
    const mine = Object.entries(sd).map(([k, v]) => `${k} [${v.shape.join(', ')}]`);
    const theirs = fx.entries.map((e) => `${e.name} [${e.shape.join(', ')}]`);
    const missing = theirs.filter((k) => !mine.includes(k));
    const extra = mine.filter((k) => !theirs.includes(k));
    assert.ok(missing.length === 0 && extra.length === 0,
      `${label}: state_dict differs from torchvision's\n  missing: ${missing.slice(0, 10).join(', ')}\n  unexpected: ${extra.slice(0, 10).join(', ')}`);
    assert.equal(mine, theirs, `${label}: state_dict key order`);
  } finally {
    tf.dispose(Object.values(sd));
  }
}

/** Loads the fixture's seeded weights strictly (PyTorch layouts, converted by loadStateDict). */
export function loadSeededWeights(model: AnyModule, fx: ModelFixture): void {
  const sd = seededStateDict(fx.entries);
  model.loadStateDict(sd, { strict: true });
}

/**
 * Runs `model` (eval mode) on the fixture input on `backend` and returns the max abs error
 * against the PyTorch output; asserts it is <= 1e-4 * max(1, max|output|) and that the shape is
 * right.
 */
export async function checkForward(model: AnyModule, fx: ModelFixture, backend: string, label: string): Promise<number> {
  assert.ok(await tf.setBackend(backend), `backend ${backend}`);
  const x = nchwToNhwc(fx.input.data, fx.input.shape);
  const y = model.call(x) as tf.Tensor;
  try {
    assert.equal(y.shape, fx.output.shape, `${label} on ${backend}: output shape`);
    const got = y.dataSync();
    let err = 0;
    for (let i = 0; i < got.length; i++) {
      const e = Math.abs(got[i] - fx.output.data[i]);
      if (!(e <= err)) err = Number.isNaN(e) ? Infinity : e;
    }
    const tol = 1e-4 * Math.max(1, fx.maxAbs);
    assert.ok(err <= tol, `${label} on ${backend}: max abs error ${err} > ${tol} (max|output| ${fx.maxAbs})`);
    return err;
  } finally {
    tf.dispose([x, y]);
  }
}

/** What the parity suite records per model (printed at the end of each zoo test file). */
export const parityReport: string[] = [];

/** Prints the models checked by this file (max abs errors per backend) and clears the list. */
export function printParityReport(): void {
  const simd = tf.findBackend('simd') as unknown as { memory?: () => { wasmMemoryBytes?: number } } | null;
  const heap = simd?.memory?.().wasmMemoryBytes;
  if (parityReport.length) console.log('\n' + parityReport.join('\n') + (heap ? `\n(simd wasm memory now ${(heap / 2 ** 20).toFixed(0)} MiB)` : ''));
  parityReport.length = 0;
}

/**
 * Registers the standard fixture tests for one zoo model on a uvu suite:
 * 1. state_dict keys, order and PyTorch shapes equal the torchvision model's (fixture metadata),
 *    and the parameter count equals PyTorch's;
 * 2. the fixture's seeded weights load with strict: true, and the eval-mode forward on the
 *    fixture input matches PyTorch's output on `simd` and on `cpu`
 *    (max abs error <= 1e-4 * max(1, max|output|)); no tensor leaks after dispose.
 * The model is built once (on `simd`, where weight conversion is fast) and shared by the two.
 */
export function registerZooTests(test: (name: string, fn: () => Promise<void>) => void, fixture: string, make: () => AnyModule): void {
  let model: AnyModule | null = null;
  let fx: ModelFixture | null = null;
  let tensorsBefore = 0;
  test(`${fixture}: state_dict keys/shapes/order and parameter count = torchvision 0.14's`, async () => {
    fx = await loadModelFixture(fixture);
    assert.ok(await tf.setBackend('simd'));
    tensorsBefore = tf.memory().numTensors;
    model = make();
    expectSameKeys(model, fx, fixture);
    assert.is(model.numParameters(), fx.paramCount, `${fixture}: parameter count`);
  });
  test(`${fixture}: strict load of the seeded weights; forward = PyTorch on simd and cpu`, async () => {
    if (model == null || fx == null) throw new Error(`${fixture}: the model was not built (see the previous test)`);
    try {
      assert.ok(await tf.setBackend('simd'));
      loadSeededWeights(model, fx);
      model.eval();
      const errSimd = await checkForward(model, fx, 'simd', fixture);
      const errCpu = await checkForward(model, fx, 'cpu', fixture);
      parityReport.push(`${fixture.padEnd(12)} max|out| ${fx.maxAbs.toFixed(3).padStart(7)}  simd ${errSimd.toExponential(2)}  cpu ${errCpu.toExponential(2)}`);
    } finally {
      model.dispose();
      model = null;
      fx = null;
    }
    assert.is(tf.memory().numTensors, tensorsBefore, `${fixture}: tensors leaked after dispose`);
  });
}

/**
 * The VGG test of one torchvision configuration: makeVggLayers(cfg) gives torchvision's layer list
 * with and without BatchNorm, then the parity tests of the plain and the `_bn` model.
 */
export function registerVggTests(test: (name: string, fn: () => Promise<void>) => void, cfgName: 'A' | 'B' | 'D' | 'E',
    plain: [string, () => AnyModule], bn: [string, () => AnyModule]): void {
  test(`makeVggLayers(cfgs.${cfgName}): torchvision's layer list with and without BatchNorm`, async () => {
    await tf.setBackend('cpu');
    const cfg = vggConfigs[cfgName];
    for (const withBn of [false, true]) {
      const seq = makeVggLayers(cfg, withBn);
      const kinds = seq.children().map((m) => m.constructor.name);
      const want: string[] = [];
      for (const v of cfg) want.push(...(v === 'M' ? ['MaxPool2d'] : withBn ? ['Conv2d', 'BatchNorm2d', 'ReLU'] : ['Conv2d', 'ReLU']));
      assert.equal(kinds, want);
      const convs = seq.children().filter((m): m is Conv2d => m instanceof Conv2d);
      assert.equal(convs.map((c) => c.outChannels), cfg.filter((v) => v !== 'M'));
      assert.ok(convs.every((c) => c.kernelSize[0] === 3 && c.padding !== 'same' && c.padding !== 'valid' && c.padding[0] === 1));
      assert.ok(seq.children().filter((m) => m instanceof MaxPool2d).every((m) => (m as MaxPool2d).stride[0] === 2));
      assert.ok(!withBn || seq.children().filter((m) => m instanceof BatchNorm2d).every((m) => (m as BatchNorm2d).eps === 1e-5));
      assert.ok(seq.children().some((m) => m instanceof ReLU));
      seq.dispose();
    }
  });
  registerZooTests(test, plain[0], plain[1]);
  registerZooTests(test, bn[0], bn[1]);
}
