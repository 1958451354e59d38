// `simdnet train --model resnet18 --data <folder> --pretrained <file> --freeze --epochs 1` as a
// child process (bin/simdnet.mjs): a tiny image folder (Fashion-MNIST Trouser / Sneaker, 28×28
// gray as RGB PNG, 4 train + 2 val per class) and a "pretrained" resnet18 from the seeded rule
// (tests/torch_weights.ts). Checks the per-phase lines, the saved best weights (strict load into
// resnet18 with a 2-class head, classes in the metadata), the frozen trunk parameters bit-identical
// to the pretrained file, the new head trained, and the errors for a missing folder / bad --model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, loadFashionMnist } from '../src/io/index.js';
import { parseSafetensors, serializeSafetensors } from '../src/io/safetensors.js';
import { resnet18 } from '../src/models/index.js';
import { replaceHead } from '../src/train/index.js';
import { seededStateDict } from './torch_weights';
import { buildDecodeWorker } from '../scripts/build-decode-worker.mjs';

const dir = mkdtempSync(join(tmpdir(), 'simdnet-cli-train-'));
const data = join(dir, 'data');
const pretrained = join(dir, 'resnet18-seeded.safetensors');
const out = join(dir, 'best.safetensors');
const CLASSES: Record<number, string> = { 1: 'trouser', 7: 'sneaker' };

/** Runs bin/simdnet.mjs with `args`; resolves with the exit code and the output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/simdnet.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test.before(async () => {
  await tf.setBackend('cpu');
  await buildDecodeWorker();  // the CLI run below uses --workers 1
  const split = await loadFashionMnist('/usr/share/datasets/fashion-mnist', 'test');
  const count: Record<number, number> = { 1: 0, 7: 0 };
  for (let i = 0; i < split.n && (count[1] < 6 || count[7] < 6); i++) {
    const label = split.labels[i];
    if (!(label in CLASSES) || count[label] >= 6) continue;
    const phase = count[label] < 4 ? 'train' : 'val';
    const gray = split.images.subarray(i * 784, (i + 1) * 784);
    const rgb = new Uint8Array(784 * 3);
    for (let p = 0; p < 784; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = gray[p];
    mkdirSync(join(data, phase, CLASSES[label]), { recursive: true });
    writeFileSync(join(data, phase, CLASSES[label], `${i}.png`), encodePng(28, 28, rgb));
    count[label]++;
  }
  // the "pretrained" ImageNet resnet18 (1000 classes) from the seeded rule, PyTorch keys and layouts
  const probe = resnet18({ initWeights: false });
  const sd = probe.stateDict();
  const entries = Object.entries(sd).map(([name, t]) => ({ name, shape: t.shape, dtype: name.endsWith('num_batches_tracked') ? 'int64' as const : 'float32' as const }));
  tf.dispose(Object.values(sd));
  probe.dispose();
  const tensors: Record<string, { dtype: 'F32' | 'I64'; shape: number[]; data: Float32Array | number[] }> = {};
  for (const [k, t] of seededStateDict(entries)) {
    tensors[k] = t.data instanceof Float32Array ? { dtype: 'F32', shape: t.shape, data: t.data } : { dtype: 'I64', shape: t.shape, data: Array.from(t.data) };
  }
  writeFileSync(pretrained, serializeSafetensors(tensors as never));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('train --model resnet18 --pretrained --freeze --epochs 1: phase lines, best weights saved, trunk untouched', async () => {
  const r = await cli(['train', '--model', 'resnet18', '--data', data, '--pretrained', pretrained, '--freeze', '--epochs', '1',
    '--size', '32', '--batch-size', '4', '--backend', 'simd', '--out', out, '--workers', '1']);
  assert.is(r.code, 0, `exit code; stderr: ${r.stderr.slice(-2000)}`);
  const lines = r.stdout.split('\n');
  assert.ok(lines.some((l) => /^loaded pretrained weights .*resnet18-seeded\.safetensors \(sha256 [0-9a-f]{12}…\), head fc replaced$/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /8 train \/ 4 val images, classes \[sneaker, trouser\], input 32×32, 1 epochs, batch 4, .*trunk frozen \(1,026 trainable parameters\)/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^Epoch 0\/0$/.test(l)), r.stdout);  // the chapter's 0-based 'Epoch {}/{}'
  assert.ok(lines.some((l) => /^train Loss: \d+\.\d{4} Acc: (0|1)\.\d{4}$/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^val Loss: \d+\.\d{4} Acc: (0|1)\.\d{4}$/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^Best val Acc: /.test(l)), r.stdout);
  assert.ok(lines.some((l) => l.startsWith(`saved ${out}`)), r.stdout);

  const saved = parseSafetensors(new Uint8Array(readFileSync(out)));
  assert.equal(JSON.parse(saved.metadata.classes), ['sneaker', 'trouser']);
  assert.is(saved.metadata.model, 'resnet18');
  assert.is(saved.metadata.frozen, 'true');
  // strict load into resnet18 with a 2-class head
  const m = resnet18({ initWeights: false });
  replaceHead(m, 2);
  const res = m.loadStateDict(saved.tensors, { strict: true });
  assert.equal([res.missingKeys, res.unexpectedKeys], [[], []]);
  m.dispose();
  // frozen trunk parameters bit-identical to the pretrained file; the head is new (2 classes)
  const pre = parseSafetensors(new Uint8Array(readFileSync(pretrained))).tensors;
  let compared = 0;
  for (const [k, t] of saved.tensors) {
    if (k.startsWith('fc.') || !/\.(weight|bias)$/.test(k)) continue;
    const a = t.data as Float32Array, b = pre.get(k)!.data as Float32Array;
    assert.equal(t.shape, pre.get(k)!.shape, k);
    assert.ok(new Uint32Array(a.buffer, a.byteOffset, a.length).every((v, i) => v === new Uint32Array(b.buffer, b.byteOffset, b.length)[i]), `${k} changed`);
    compared++;
  }
  assert.is(compared, 60, 'conv + bn weight/bias tensors compared');
  assert.equal(saved.tensors.get('fc.weight')!.shape, [2, 512]);
  // BatchNorm running statistics are buffers: they do update in training mode (as in PyTorch)
  const rm = saved.tensors.get('bn1.running_mean')!.data as Float32Array, rm0 = pre.get('bn1.running_mean')!.data as Float32Array;
  assert.ok(rm.some((v, i) => v !== rm0[i]), 'bn1.running_mean updated by the train phase');
});

test('train errors: missing data folder, unknown model (exit code 1, clear message)', async () => {
  const [missing, badModel] = await Promise.all([
    cli(['train', '--model', 'resnet18', '--data', join(dir, 'nope'), '--epochs', '1']),
    cli(['train', '--model', 'resnet19', '--data', data, '--epochs', '1']),
  ]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /simdnet: --data .*nope: no train\/ folder \(expected .*nope\/train\/<class>\/\*\.jpg and .*nope\/val\/<class>\/\*\.jpg\)/);
  assert.is(badModel.code, 1);
  assert.match(badModel.stderr, /simdnet: unknown model 'resnet19' \(choose one of lenet5, .*resnet18, /);
  assert.not.ok(existsSync(join(process.cwd(), 'resnet19-finetuned.safetensors')));
});

test.run();
