// The TypeScript weight rule (tests/torch_weights.ts) against the values that the PyTorch fixture
// generator (tests/fixtures/torch/gen_fixtures.py) wrote: bit-exact, on the check file and on
// the `input` tensors of every model / op fixture; plus the fixtures' metadata schema.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensorsFile, type SafetensorsFile, type SafetensorsTensor } from '../src/io/index.js';
import {
  DEFAULT_SEED,
  RULE_NAME,
  fnv1a32,
  hashAt,
  lowbias32,
  seed32,
  seededRole,
  seededStateDict,
  seededTensor,
  seededValues,
  type SeededDtype,
  type SeededEntry,
} from './torch_weights.js';

const DIR = new URL('./fixtures/torch/', import.meta.url);
const load = (f: string): Promise<SafetensorsFile> => readSafetensorsFile(fileURLToPath(new URL(f, DIR)));

function get(file: SafetensorsFile, name: string): SafetensorsTensor {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`fixture has no tensor ${JSON.stringify(name)}`);
  return t;
}

/** Number of elements whose float32 bit patterns differ, and the first one (for messages). */
function bitDiff(a: Float32Array, b: Float32Array): { count: number; first: string } {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let count = 0;
  let first = '';
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) {
      if (count++ === 0) first = `element ${i}: ${a[i]} vs ${b[i]}`;
    }
  }
  return { count, first };
}

function assertBitExact(actual: Float32Array, expected: SafetensorsTensor, what: string): void {
  assert.is(expected.dtype, 'F32', `${what} dtype`);
  const exp = expected.data as Float32Array;
  assert.is(actual.length, exp.length, `${what} length`);
  const d = bitDiff(actual, exp);
  assert.is(d.count, 0, `${what}: ${d.count} elements differ from PyTorch's, first ${d.first}`);
}

interface Check {
  tensor: string;
  name: string;
  shape: number[];
  dtype: SeededDtype;
  seed: number;
  start: number;
  count: number;
  role: string;
}

test('check file: fnv1a32, lowbias32 and raw hashes equal the Python ones', async () => {
  const f = await load('weights_check.safetensors');
  assert.is(f.metadata.weight_rule, RULE_NAME);
  assert.is(Number(f.metadata.seed), DEFAULT_SEED);
  const fnv = JSON.parse(f.metadata.fnv1a32) as Record<string, number>;
  assert.ok(Object.keys(fnv).length >= 4);
  assert.is(fnv1a32(''), 0x811c9dc5);
  for (const [name, h] of Object.entries(fnv)) assert.is(fnv1a32(name), h, `fnv1a32(${JSON.stringify(name)})`);
  const mix = JSON.parse(f.metadata.lowbias32) as [number, number][];
  for (const [x, h] of mix) assert.is(lowbias32(x), h, `lowbias32(${x})`);
  for (const name of JSON.parse(f.metadata.hash_names) as string[]) {
    const t = get(f, `hash:${name}`);
    assert.is(t.dtype, 'U32');
    const s = seed32(name);
    const mine = Uint32Array.from({ length: t.data.length }, (_, i) => hashAt(s, i));
    assert.equal(Array.from(mine), Array.from(t.data as Uint32Array), `hashes of ${JSON.stringify(name)}`);
  }
});

test('check file: every generated tensor (full, or a slice of a huge one) is bit-exact', async () => {
  const f = await load('weights_check.safetensors');
  const checks = JSON.parse(f.metadata.checks) as Check[];
  assert.ok(checks.length >= 15);
  const roles = new Set<string>();
  for (const c of checks) {
    const what = `${c.tensor} (${c.role})`;
    assert.is(seededRole(c.name, c.shape, c.dtype), c.role, `${what} role`);
    roles.add(c.role);
    const t = get(f, c.tensor);
    if (c.dtype === 'int64') {
      assert.is(t.dtype, 'I64');
      const mine = seededTensor({ name: c.name, shape: c.shape, dtype: 'int64' }, c.seed);
      assert.instance(mine.data, Int32Array);
      assert.equal(Array.from(mine.data, BigInt), Array.from(t.data as BigInt64Array), what);
      continue;
    }
    const numel = c.shape.reduce((a, b) => a * b, 1);
    if (c.start === 0 && c.count === numel) {
      assert.equal(t.shape, c.shape, `${what} shape`);
      const mine = seededStateDict([{ name: c.name, shape: c.shape }], c.seed).get(c.name)!;
      assert.equal(mine.shape, c.shape);
      assertBitExact(mine.data as Float32Array, t, what);
    } else {
      assertBitExact(seededValues(c.name, c.shape, c.seed, c.start, c.count), t, what);
    }
  }
  for (const r of ['zero', 'fan_in', 'norm_weight', 'residual_norm_weight', 'small', 'var', 'unit']) {
    assert.ok(roles.has(r), `the check file covers role ${r}`);
  }
});

test('the comparison can fail: a wrong seed, a wrong index or a float64 product are caught', async () => {
  const f = await load('weights_check.safetensors');
  const checks = JSON.parse(f.metadata.checks) as Check[];
  const c = checks.find((x) => x.name === 'features.0.weight' && x.start === 0)!;
  const exp = get(f, c.tensor).data as Float32Array;
  assert.ok(bitDiff(seededValues(c.name, c.shape, c.seed ^ 1), exp).count > exp.length / 2);
  assert.ok(bitDiff(seededValues(c.name, c.shape, c.seed, 1, exp.length - 1), exp.subarray(0, exp.length - 1)).count > 0);
  // A naive `i * GOLDEN` in float64 loses the mod-2^32 wrap for large i: the far slices catch it.
  const far = checks.find((x) => x.name === 'classifier.0.weight' && x.start > 2 ** 26)!;
  const s = seed32(far.name, far.seed);
  const scale = Math.sqrt(6 / far.shape[1]);
  const naive = Float32Array.from({ length: far.count }, (_, j) => {
    const i = far.start + j;
    return ((lowbias32((s + i * 0x9e3779b9) % 2 ** 32) >>> 8) / 8388608 - 1) * scale;
  });
  assert.ok(bitDiff(naive, get(f, far.tensor).data as Float32Array).count > 0);
});

test('seededStateDict: order, shapes, int64 zeros, role values in range', () => {
  const entries: SeededEntry[] = [
    { name: 'conv1.weight', shape: [8, 3, 7, 7] },
    { name: 'bn1.weight', shape: [8] },
    { name: 'bn1.bias', shape: [8] },
    { name: 'bn1.running_mean', shape: [8] },
    { name: 'bn1.running_var', shape: [8] },
    { name: 'bn1.num_batches_tracked', shape: [], dtype: 'int64' },
    { name: 'layer1.0.bn1.weight', shape: [8] },
    { name: 'fc.weight', shape: [10, 8] },
  ];
  const sd = seededStateDict(entries);
  assert.equal([...sd.keys()], entries.map((e) => e.name));
  for (const e of entries) assert.equal(sd.get(e.name)!.shape, e.shape);
  const nbt = sd.get('bn1.num_batches_tracked')!;
  assert.instance(nbt.data, Int32Array);
  assert.equal(Array.from(nbt.data), [0]);
  const within = (name: string, lo: number, hi: number): void => {
    const d = sd.get(name)!.data;
    for (const v of d) assert.ok(v >= lo && v < hi, `${name}: ${v} in [${lo}, ${hi})`);
  };
  const b = Math.sqrt(6 / (3 * 7 * 7));
  within('conv1.weight', -b, b);
  within('bn1.weight', 0.8, 1.2);
  within('layer1.0.bn1.weight', 0.4, 0.6);
  within('bn1.bias', -0.1, 0.1);
  within('bn1.running_var', 0.5, 1.5);
  // not the identity: some BN weight differs from 1 and some running_var from 1
  assert.ok(Array.from(sd.get('bn1.weight')!.data).some((v) => Math.abs(v - 1) > 0.01));
  assert.throws(() => seededStateDict([entries[0], entries[0]]), /duplicate/);
});

const MODEL_META_KEYS = [
  'format', 'kind', 'model', 'constructor', 'torch_version', 'torchvision_version', 'numpy_version', 'weight_rule',
  'seed', 'layout', 'input_shape', 'output_shape', 'param_count', 'state_dict_numel', 'state_dict', 'activations',
  'pools', 'output_max_abs', 'output_rms', 'output_f64_max_abs_diff', 'output_f64_max_rel_diff', 'notes',
];
const BUFFER_LEAVES = new Set(['running_mean', 'running_var', 'num_batches_tracked']);

test('model fixtures: schema, parameter counts, and inputs made by the same rule', async () => {
  const files = readdirSync(DIR).filter((n) => n.endsWith('.safetensors') && n !== 'ops.safetensors' && n !== 'weights_check.safetensors');
  assert.ok(files.length >= 18, `${files.length} model fixtures`);
  const params: Record<string, number> = {};
  for (const file of files) {
    const f = await load(file);
    const m = f.metadata;
    assert.type(m.kind, 'string', `${file}: metadata kind`);
    if (m.kind !== 'model') continue;  // op-level fixtures (detection, transforms, …) have their own tests
    for (const k of MODEL_META_KEYS) assert.type(m[k], 'string', `${file}: metadata ${k}`);
    assert.is(m.kind, 'model');
    assert.is(m.weight_rule, RULE_NAME);
    assert.is(Number(m.seed), DEFAULT_SEED);
    const entries = JSON.parse(m.state_dict) as Required<SeededEntry>[];
    const nParams = entries
      .filter((e) => !BUFFER_LEAVES.has(e.name.slice(e.name.lastIndexOf('.') + 1)))
      .reduce((a, e) => a + e.shape.reduce((x, y) => x * y, 1), 0);
    assert.is(nParams, Number(m.param_count), `${file}: param_count = numel of non-buffer entries`);
    params[m.model] = nParams;
    const inShape = JSON.parse(m.input_shape) as number[];
    const input = get(f, 'input');
    assert.equal(input.shape, inShape);
    assertBitExact(seededValues('input', inShape), input, `${file} input`);
    assert.equal(get(f, 'output').shape, JSON.parse(m.output_shape));
    for (const a of JSON.parse(m.activations) as { name: string; shape: number[] }[]) {
      assert.equal(get(f, a.name).shape, a.shape, `${file} activation ${a.name}`);
    }
    assert.is(f.tensors.size, 2 + JSON.parse(m.activations).length, `${file}: tensors = input, output, activations`);
  }
  assert.is(params.resnet50, 25_557_032);
  assert.is(params.vgg16, 138_357_544);
});

test('ops fixture: every case has its tensors, and its inputs/params follow the rule', async () => {
  const f = await load('ops.safetensors');
  const cases = JSON.parse(f.metadata.cases) as { name: string; op: string; tensors: Record<string, string>; shapes: Record<string, number[]> }[];
  assert.ok(cases.length >= 40);
  const ops = new Set(cases.map((c) => c.op));
  for (const op of ['max_pool2d', 'avg_pool2d', 'adaptive_avg_pool2d', 'interpolate_bilinear', 'conv_transpose2d', 'conv2d']) {
    assert.ok(ops.has(op), `ops fixture covers ${op}`);
  }
  let n = 0;
  for (const c of cases) {
    for (const [role, key] of Object.entries(c.tensors)) {
      const t = get(f, key);
      assert.equal(t.shape, c.shapes[role], `${key} shape`);
      n++;
      if (role !== 'output') assertBitExact(seededValues(key, c.shapes[role]), t, key);
    }
  }
  assert.is(n, f.tensors.size, 'no stray tensors');
});

test.run();
