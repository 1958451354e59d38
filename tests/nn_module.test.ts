// Module system: registration, names, state dicts (PyTorch keys and layouts), strict loading,
// train/eval propagation, requiresGrad, dispose, no leaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  SeededRng,
  Sequential,
  StateDictError,
  buffer,
  disposeStateDict,
  parameter,
} from '../src/nn/index.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** Deterministic test input in [-1, 1) (not tf.random*: its seedrandom import is environment-dependent). */
function rand(shape: number[], seed: number): tf.Tensor {
  const r = new SeededRng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.next() * 2 - 1), shape);
}

/** A small PyTorch-like net: conv+bn, a Sequential head, a frozen-able linear. */
class Net extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  pool: MaxPool2d;
  head: Sequential;
  constructor() {
    super();
    this.conv1 = new Conv2d(3, 4, 3, { padding: 1, bias: false, seed: 1 });
    this.bn1 = new BatchNorm2d(4);
    this.relu = new ReLU();
    this.pool = new MaxPool2d(2);
    this.head = new Sequential(new Flatten(), new Dropout(0.5), new Linear(4 * 2 * 2, 5, { seed: 2 }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.head.forward(this.pool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x)))));
  }
}

const EXPECTED_KEYS = [
  'conv1.weight',
  'bn1.weight',
  'bn1.bias',
  'bn1.running_mean',
  'bn1.running_var',
  'bn1.num_batches_tracked',
  'head.2.weight',
  'head.2.bias',
];
const EXPECTED_SHAPES: Record<string, number[]> = {
  'conv1.weight': [4, 3, 3, 3],
  'bn1.weight': [4],
  'bn1.bias': [4],
  'bn1.running_mean': [4],
  'bn1.running_var': [4],
  'bn1.num_batches_tracked': [],
  'head.2.weight': [5, 16],
  'head.2.bias': [5],
};

test('named parameters, buffers and children use PyTorch dotted names', () => {
  const net = new Net();
  assert.equal(
    net.namedParameters().map(([k]) => k),
    ['conv1.weight', 'bn1.weight', 'bn1.bias', 'head.2.weight', 'head.2.bias'],
  );
  assert.equal(
    net.namedBuffers().map(([k]) => k),
    ['bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked'],
  );
  assert.equal(net.namedChildren().map(([k]) => k), ['conv1', 'bn1', 'relu', 'pool', 'head']);
  assert.equal(
    net.namedModules().map(([k]) => k),
    ['', 'conv1', 'bn1', 'relu', 'pool', 'head', 'head.0', 'head.1', 'head.2'],
  );
  assert.is(net.numParameters(), 4 * 3 * 9 + 4 + 4 + 16 * 5 + 5);
  net.dispose();
});

test('stateDict: exact PyTorch keys in order, PyTorch layouts, values are transposes of the tfjs variables', () => {
  const net = new Net();
  const sd = net.stateDict();
  assert.equal(Object.keys(sd), EXPECTED_KEYS);
  for (const k of EXPECTED_KEYS) assert.equal(sd[k].shape, EXPECTED_SHAPES[k], k);
  assert.is(sd['bn1.num_batches_tracked'].dtype, 'int32');
  // OIHW[o, i, h, w] == HWIO[h, w, i, o]
  const oihw = sd['conv1.weight'].arraySync() as number[][][][];
  const hwio = net.conv1.weight.arraySync() as number[][][][];
  assert.is(oihw[3][1][2][0], hwio[2][0][1][3]);
  assert.is(oihw[0][2][1][1], hwio[1][1][2][0]);
  // linear [out, in] == kernel[in, out]^T
  const w = sd['head.2.weight'].arraySync() as number[][];
  const k = (net.head.at(2) as Linear).weight.arraySync() as number[][];
  assert.is(w[4][7], k[7][4]);
  disposeStateDict(sd);
  net.dispose();
});

test('stateDict -> loadStateDict round trip restores every value and is a snapshot', () => {
  const a = new Net();
  const b = new Net();
  // make a's buffers non-default
  a.bn1.running_mean!.assign(tf.tensor1d([1, 2, 3, 4]));
  a.bn1.num_batches_tracked!.assign(tf.scalar(7, 'int32'));
  b.conv1.weight.assign(tf.zerosLike(b.conv1.weight));
  const sd = a.stateDict();
  const before = a.conv1.weight.dataSync().slice();
  a.conv1.weight.assign(tf.onesLike(a.conv1.weight)); // later changes must not alter the snapshot
  const res = b.loadStateDict(sd);
  assert.equal(res, { missingKeys: [], unexpectedKeys: [] });
  assert.equal(Array.from(b.conv1.weight.dataSync()), Array.from(before));
  assert.equal(Array.from(b.bn1.running_mean!.dataSync()), [1, 2, 3, 4]);
  assert.is(b.bn1.num_batches_tracked!.dataSync()[0], 7);
  const sd2 = b.stateDict();
  for (const key of EXPECTED_KEYS) {
    assert.equal(Array.from(sd2[key].dataSync()), Array.from(sd[key].dataSync()), key);
  }
  disposeStateDict(sd);
  disposeStateDict(sd2);
  a.dispose();
  b.dispose();
});

test('loadStateDict strict: missing, unexpected and size-mismatched keys reported together; nothing written', () => {
  const net = new Net();
  const sd = net.stateDict();
  const origConv = net.conv1.weight.dataSync().slice();
  const bad: Record<string, tf.Tensor> = { ...sd };
  delete bad['bn1.running_var'];
  delete bad['head.2.bias'];
  bad['fc9.weight'] = tf.zeros([2, 2]);
  bad['head.2.weight'] = tf.zeros([5, 17]);
  bad['conv1.weight'] = tf.ones([4, 3, 3, 3]); // valid, must NOT be written since the load fails
  let err: unknown = null;
  try {
    net.loadStateDict(bad);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof StateDictError, 'throws StateDictError');
  const e = err as StateDictError;
  assert.equal(e.missingKeys, ['bn1.running_var', 'head.2.bias']);
  assert.equal(e.unexpectedKeys, ['fc9.weight']);
  assert.equal(e.mismatches, [{ key: 'head.2.weight', expected: [5, 16], actual: [5, 17] }]);
  assert.match(e.message, 'Missing key(s) in state_dict: "bn1.running_var", "head.2.bias"');
  assert.match(e.message, 'Unexpected key(s) in state_dict: "fc9.weight"');
  assert.match(e.message, 'size mismatch for head.2.weight');
  assert.match(e.message, '[5, 17]');
  assert.match(e.message, '[5, 16]');
  assert.equal(Array.from(net.conv1.weight.dataSync()), Array.from(origConv), 'module unchanged');
  tf.dispose([bad['fc9.weight'], bad['head.2.weight'], bad['conv1.weight']]);
  disposeStateDict(sd);
  net.dispose();
});

test('loadStateDict(null / a number): a TypeError naming the module, not a crash in Object.entries', () => {
  const net = new Linear(3, 2);
  assert.throws(() => net.loadStateDict(null as never), /loadStateDict\(Linear\): expected a state dict .* got null/);
  assert.throws(() => net.loadStateDict(5 as never), /loadStateDict\(Linear\): expected a state dict .* got number/);
  net.dispose();
});

test('loadStateDict non-strict: ignores missing/unexpected keys but still rejects shape mismatches', () => {
  const net = new Net();
  const w = tf.ones([4, 3, 3, 3]);
  const extra = tf.zeros([1]);
  const res = net.loadStateDict({ 'conv1.weight': w, 'nope.weight': extra }, { strict: false });
  assert.equal(res.unexpectedKeys, ['nope.weight']);
  assert.is(res.missingKeys.length, EXPECTED_KEYS.length - 1);
  assert.ok(net.conv1.weight.dataSync().every((v) => v === 1));
  const wrong = tf.ones([3, 4, 3, 3]);
  assert.throws(() => net.loadStateDict({ 'conv1.weight': wrong }, { strict: false }), /size mismatch for conv1\.weight/);
  tf.dispose([w, extra, wrong]);
  net.dispose();
});

test('loadStateDict casts dtypes (float num_batches_tracked -> int32) and accepts a Map', () => {
  const bn = new BatchNorm2d(2);
  const m = new Map<string, tf.Tensor>([
    ['weight', tf.tensor1d([2, 3])],
    ['bias', tf.tensor1d([0, 1])],
    ['running_mean', tf.tensor1d([0.5, 0.25])],
    ['running_var', tf.tensor1d([4, 9])],
    ['num_batches_tracked', tf.scalar(12, 'float32')],
  ]);
  bn.loadStateDict(m);
  assert.is(bn.num_batches_tracked!.dtype, 'int32');
  assert.is(bn.num_batches_tracked!.dataSync()[0], 12);
  tf.dispose([...m.values()]);
  bn.dispose();
});

test('loadStateDict accepts raw {shape, data} values (safetensors-style, bigint int64) and checks lengths', () => {
  const net = new Net();
  const sd = net.stateDict();
  const raw = new Map<string, { shape: number[]; data: ArrayLike<number> | ArrayLike<bigint> }>();
  for (const [k, t] of Object.entries(sd)) raw.set(k, { shape: t.shape, data: Float64Array.from(t.dataSync()) });
  raw.set('bn1.num_batches_tracked', { shape: [], data: BigInt64Array.from([5n]) });
  const w = Float32Array.from({ length: 4 * 3 * 9 }, (_, i) => i / 100); // OIHW order
  raw.set('conv1.weight', { shape: [4, 3, 3, 3], data: w });
  const before = tf.memory().numTensors;
  net.loadStateDict(raw);
  assert.is(tf.memory().numTensors, before, 'no temporaries left');
  assert.is(net.bn1.num_batches_tracked!.dataSync()[0], 5);
  const back = net.stateDict();
  assert.ok(back['conv1.weight'].dataSync().every((v, i) => Math.abs(v - w[i]) < 1e-7), 'OIHW data round-trips');
  raw.set('head.2.bias', { shape: [5], data: new Float32Array(4) });
  assert.throws(() => net.loadStateDict(raw), /data for head\.2\.bias has 4 elements/);
  disposeStateDict(sd);
  disposeStateDict(back);
  net.dispose();
});

test('train()/eval() propagate to every descendant', () => {
  const net = new Net();
  assert.ok(net.modules().every((m) => m.training));
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  assert.is(net.head.at(1).training, false);
  net.train();
  assert.ok(net.modules().every((m) => m.training));
  net.head.train(false);
  assert.is(net.training, true);
  assert.is(net.head.at(2).training, false);
  net.dispose();
});

test('requiresGrad freezes parameters: trainableParameters excludes them, tf.Variable.trainable follows', () => {
  const net = new Net();
  assert.is(net.trainableParameters().length, 5);
  net.conv1.weight.requiresGrad = false;
  assert.is(net.conv1.weight.trainable, false);
  assert.is(net.trainableParameters().length, 4);
  assert.not.ok(net.trainableParameters().includes(net.conv1.weight));
  net.setRequiresGrad(false);
  assert.is(net.trainableParameters().length, 0);
  assert.is(net.parameters().length, 5);
  net.dispose();
});

test('registration rules: _private props, plain tensors and null are ignored; buffers vs parameters', () => {
  class Custom extends Module {
    scale = parameter(tf.scalar(2));
    stats = buffer(tf.zeros([3]));
    tmp = buffer(tf.zeros([1]), { persistent: false });
    _cache = new Linear(2, 2);
    constant = tf.ones([2]);
    missing: Module | null = null;
    forward(x: tf.Tensor) {
      return tf.mul(x, this.scale);
    }
  }
  const c = new Custom();
  assert.equal(c.namedParameters().map((e) => e[0]), ['scale']);
  assert.equal(c.namedBuffers().map((e) => e[0]), ['stats', 'tmp']);
  const sd = c.stateDict();
  assert.equal(Object.keys(sd), ['scale', 'stats']);
  disposeStateDict(sd);
  c._cache.dispose();
  c.constant.dispose();
  c.dispose();
});

test('Sequential names children 0,1,... or by dict; call() leaks no tensors; dispose frees variables', () => {
  const before = tf.memory().numTensors;
  const seq = new Sequential(new Conv2d(1, 2, 3, { seed: 3 }), new ReLU(), new Flatten(), new Linear(2 * 2 * 2, 3, { seed: 4 }));
  const sdKeys = seq.stateDict();
  assert.equal(Object.keys(sdKeys), ['0.weight', '0.bias', '3.weight', '3.bias']);
  disposeStateDict(sdKeys);
  const named = new Sequential({ conv: new Conv2d(1, 1, 1), act: new ReLU() });
  const nk = named.stateDict();
  assert.equal(Object.keys(nk), ['conv.weight', 'conv.bias']);
  disposeStateDict(nk);
  named.dispose();
  const x = rand([2, 4, 4, 1], 1);
  const mid = tf.memory().numTensors;
  const y = seq.call(x);
  assert.equal(y.shape, [2, 3]);
  assert.is(tf.memory().numTensors, mid + 1, 'only the output survives call()');
  tf.dispose([x, y]);
  seq.dispose();
  assert.is(tf.memory().numTensors, before, 'everything created here was freed');
});

test('eval forward of a BN/Dropout net is deterministic and leak-free; toString is PyTorch-like', () => {
  const net = new Net().eval();
  const x = rand([2, 4, 4, 3], 5);
  const before = tf.memory().numTensors;
  const y1 = net.call(x);
  const y2 = net.apply(x);
  assert.is(tf.memory().numTensors, before + 2);
  assert.equal(Array.from(y1.dataSync()), Array.from(y2.dataSync()));
  const s = net.toString();
  assert.match(s, '(conv1): Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)');
  assert.match(s, '(2): Linear(in_features=16, out_features=5, bias=True)');
  tf.dispose([x, y1, y2]);
  net.dispose();
});

test.run();
