// ResNet-18/34 (BasicBlock) against the PyTorch fixtures (keys, strict loading, forward on simd
// and cpu, batch 2), plus the BatchNorm folding contract (eval fused = unfused, refold after a
// weight change, stateDict keeps the original tensors, training mode = plain modules), a
// training-mode gradient parity check simd vs cpu, torchvision's init, and load errors that
// name the key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { BasicBlock, resnet18, resnet34 } from '../src/models/index.js';
import { BatchNorm2d, Conv2d, StateDictError, disposeStateDict, withoutFusion } from '../src/nn/index.js';
import { randomArray } from './helpers';
import { loadModelFixture, loadSeededWeights, nchwToNhwc, printParityReport, registerZooTests } from './zoo_helpers';
import { seededStateDict } from './torch_weights';
import { parseSafetensors, serializeSafetensors, type SafetensorsTensorInput } from '../src/io/safetensors.js';

registerZooTests(test, 'resnet18', () => resnet18({ initWeights: false }));
registerZooTests(test, 'resnet18_b2', () => resnet18({ initWeights: false }));
registerZooTests(test, 'resnet34', () => resnet34({ initWeights: false }));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('BN folding: eval fused = unfused; refolds after loadStateDict; stateDict returns the unfolded tensors', async () => {
  await tf.setBackend('simd');
  const fx = await loadModelFixture('resnet18');
  const start = tf.memory().numTensors;
  const m = resnet18({ initWeights: false }).eval();
  loadSeededWeights(m, fx);
  const x = nchwToNhwc(fx.input.data, fx.input.shape);
  const before = tf.memory().numTensors;
  const fused = m.call(x);
  const cached = tf.memory().numTensors - before - 1; // folded (w', b') pairs kept by the cache
  assert.is(cached, 2 * 20, 'one folded filter + bias per conv+BN pair (20 in ResNet-18)');
  const plain = withoutFusion(() => m.call(x));
  const scale = Math.max(1, ...Array.from(plain.dataSync()).map(Math.abs));
  assert.ok(maxDiff(fused.dataSync(), plain.dataSync()) <= 1e-5 * scale, `fused vs unfused ${maxDiff(fused.dataSync(), plain.dataSync())}`);

  // stateDict: exactly the loaded (unfolded) values
  const sd = m.stateDict();
  const want = seededStateDict(fx.entries);
  for (const k of ['conv1.weight', 'bn1.weight', 'layer1.0.bn2.running_var', 'layer4.1.conv2.weight', 'fc.weight']) {
    assert.is(maxDiff(sd[k].dataSync(), want.get(k)!.data), 0, `${k} is returned unfolded`);
  }
  disposeStateDict(sd);

  // a weight change (new seed) is picked up by the next eval forward
  m.loadStateDict(seededStateDict(fx.entries, 7));
  const fused2 = m.call(x);
  const plain2 = withoutFusion(() => m.call(x));
  assert.ok(maxDiff(fused2.dataSync(), plain.dataSync()) > 1e-2, 'output changed with the weights');
  assert.ok(maxDiff(fused2.dataSync(), plain2.dataSync()) <= 1e-5 * scale, 'refolded after loadStateDict');
  assert.is(tf.memory().numTensors, before + 4 + cached, 'old folded tensors were released');

  // an in-place change of one BN buffer (optimizers and load both use assign) also refolds
  const bn = (m.layer2.at(0) as BasicBlock).bn1 as BatchNorm2d;
  tf.tidy(() => bn.running_mean!.assign(tf.add(bn.running_mean!, 0.5)));
  const fused3 = m.call(x);
  const plain3 = withoutFusion(() => m.call(x));
  assert.ok(maxDiff(fused3.dataSync(), plain2.dataSync()) > 1e-4);
  assert.ok(maxDiff(fused3.dataSync(), plain3.dataSync()) <= 1e-5 * scale);

  // training mode: plain modules (batch statistics), running stats updated
  m.train();
  const rm = Array.from(m.bn1.running_mean!.dataSync());
  const t = m.call(x);
  assert.ok(maxDiff(m.bn1.running_mean!.dataSync(), rm) > 0, 'training forward updates running stats');
  tf.dispose([fused, plain, fused2, plain2, fused3, plain3, t, x]);
  m.dispose();
  assert.is(tf.memory().numTensors, start, 'model dispose releases the folded cache');
});

test('training-mode gradients of ResNet-18 agree on simd and cpu (BN batch stats, ceil-free pools, adaptive pool)', async () => {
  const grads: Record<string, Record<string, Float32Array>> = {};
  const xs = randomArray(2 * 40 * 36 * 3, 21);
  const keys = ['conv1.weight', 'bn1.weight', 'layer2.0.downsample.0.weight', 'layer4.1.bn2.bias', 'fc.weight', 'fc.bias'];
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    const m = resnet18({ numClasses: 7, seed: 3 }).train();
    const named = new Map(m.namedParameters());
    const x = tf.tensor4d(xs, [2, 40, 36, 3]);
    const { grads: g } = tf.variableGrads(() => tf.tidy(() => tf.mean(tf.square(m.forward(x) as tf.Tensor))) as tf.Scalar,
      keys.map((k) => named.get(k)!));
    grads[backend] = {};
    for (const k of keys) grads[backend][k] = g[named.get(k)!.name].dataSync() as Float32Array;
    tf.dispose(Object.values(g));
    x.dispose();
    m.dispose();
  }
  for (const k of keys) {
    const a = grads.cpu[k];
    const scale = Math.max(1e-6, ...Array.from(a).map(Math.abs));
    const err = maxDiff(grads.simd[k], a);
    assert.ok(err <= 2e-3 * scale, `${k}: |simd - cpu| ${err} vs max|grad| ${scale}`);
    assert.ok(Array.from(a).some((v) => v !== 0), `${k} receives a gradient`);
  }
});

test("torchvision init: kaiming_normal_(fan_out) convs, BN 1/0; zeroInitResidual; BasicBlock rejects dilation", async () => {
  await tf.setBackend('simd');
  const m = resnet18({ seed: 1, zeroInitResidual: true });
  const w = m.layer3.at(0) as BasicBlock;
  const conv = w.conv2 as Conv2d;
  const v = conv.weight.dataSync();
  let s = 0;
  for (const a of v) s += a * a;
  const std = Math.sqrt(s / v.length);
  const want = Math.sqrt(2 / (256 * 9));
  assert.ok(Math.abs(std - want) < 0.05 * want, `conv std ${std} vs kaiming fan_out ${want}`);
  assert.equal(Array.from(new Set(m.bn1.weight!.dataSync())), [1]);
  assert.equal(Array.from(new Set(w.bn2.weight!.dataSync())), [0], 'zero_init_residual zeroes bn2 of BasicBlocks');
  assert.equal(Array.from(new Set(w.bn1.weight!.dataSync())), [1]);
  m.dispose();
  assert.throws(() => resnet18({ replaceStrideWithDilation: [false, false, true] }), /Dilation > 1 not supported in BasicBlock/);
});

test('loadStateDict errors name the offending keys (missing, unexpected, wrong shape)', async () => {
  await tf.setBackend('simd');
  const fx = await loadModelFixture('resnet18');
  const m = resnet18({ numClasses: 10, initWeights: false });
  const sd = seededStateDict(fx.entries);
  let err: unknown = null;
  try {
    m.loadStateDict(sd, { strict: true }); // fc is [1000, 512] in the fixture
  } catch (e) {
    err = e;
  }
  assert.instance(err, StateDictError);
  assert.match((err as Error).message, 'size mismatch for fc.weight: copying a param with shape [1000, 512] from checkpoint, the shape in current model is [10, 512]');
  assert.match((err as Error).message, 'size mismatch for fc.bias');
  sd.delete('layer3.1.bn2.running_var');
  sd.set('layer3.1.bn2.running_varx', { shape: [256], data: new Float32Array(256) });
  sd.delete('fc.weight');
  sd.delete('fc.bias');
  assert.throws(() => m.loadStateDict(sd, { strict: true }), (e: Error) =>
    e.message.includes('Missing key(s) in state_dict: "layer3.1.bn2.running_var", "fc.weight", "fc.bias".') &&
    e.message.includes('Unexpected key(s) in state_dict: "layer3.1.bn2.running_varx".'));
  m.dispose();
});

test('a torchvision-style safetensors export (F32 + I64 num_batches_tracked) loads strictly and reproduces PyTorch', async () => {
  await tf.setBackend('simd');
  const fx = await loadModelFixture('resnet18');
  // what safetensors.torch.save_file(resnet18().state_dict()) holds: PyTorch layouts, int64 counters
  const file = new Map<string, SafetensorsTensorInput>();
  for (const [k, v] of seededStateDict(fx.entries)) {
    file.set(k, k.endsWith('num_batches_tracked')
      ? { dtype: 'I64', shape: v.shape, data: new BigInt64Array(1) }
      : { dtype: 'F32', shape: v.shape, data: v.data as Float32Array });
  }
  const parsed = parseSafetensors(serializeSafetensors(file));
  assert.is(parsed.tensors.get('bn1.num_batches_tracked')!.dtype, 'I64');
  const m = resnet18({ initWeights: false });
  m.loadStateDict(parsed.tensors, { strict: true });
  m.eval();
  const x = nchwToNhwc(fx.input.data, fx.input.shape);
  const y = m.call(x);
  const err = maxDiff(y.dataSync(), fx.output.data);
  assert.ok(err <= 1e-4 * fx.maxAbs, `max abs error ${err}`);
  tf.dispose([x, y]);
  m.dispose();
});

test.after(printParityReport);
test.run();
