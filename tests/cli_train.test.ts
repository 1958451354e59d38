// `simdnet train --model resnet18 --data <folder> --pretrained <file> --freeze --epochs 1` as a
// child process (bin/simdnet.mjs): a tiny image folder (Fashion-MNIST Trouser / Sneaker, 28×28
// gray as RGB PNG, 4 train + 2 val per class) and a "pretrained" resnet18 from the seeded rule
// (tests/torch_weights.ts). Checks the per-phase lines, the saved best weights (strict load into
// resnet18 with a 2-class head, classes in the metadata), the frozen trunk parameters bit-identical
// to the pretrained file, the new head trained, and the errors for a missing folder / bad --model.
// Then `simdnet classify --model resnet18 --weights <the saved file>` (head size and class names
// from the file's metadata), the train/classify/detect help texts, the up-front errors (one class,
// unwritable --out, --score-threshold out of range, corrupt --weights named, --freeze warning),
// the shortened state-dict key lists, and the atomic save helper.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, loadFashionMnist } from '../src/io/index.js';
import { parseSafetensors } from '../src/io/safetensors.js';
import { resnet18 } from '../src/models/index.js';
import { replaceHead } from '../src/train/index.js';
import { seededSafetensors, stateDictEntries } from './zoo_helpers';
import { buildDecodeWorker } from '../scripts/build-decode-worker.mjs';
import { StateDictError } from '../src/nn/index.js';
import { cliErrorMessage, writeFileAtomic } from '../src/cli/files.js';

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
  writeFileSync(pretrained, seededSafetensors(stateDictEntries(() => resnet18({ initWeights: false }))));
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
  // --seed (default 0) makes the run repeatable: the new head's init, the shuffle and the
  // augmentation are seeded, so a second run saves the same bytes
  const out2 = out.replace(/\.safetensors$/, '-again.safetensors');
  const r2 = await cli(['train', '--model', 'resnet18', '--data', data, '--pretrained', pretrained, '--freeze', '--epochs', '1',
    '--size', '32', '--batch-size', '4', '--backend', 'simd', '--out', out2, '--workers', '1']);
  assert.is(r2.code, 0, r2.stderr.slice(-2000));
  assert.ok(Buffer.from(readFileSync(out2)).equals(Buffer.from(readFileSync(out))), 'same seed, same saved weights');
});

test('classify --model resnet18 --weights <train output>: 2-class head and class names from the metadata', async () => {
  const img = join(data, 'val', 'sneaker', readdirSync(join(data, 'val', 'sneaker'))[0]);
  const [r, same, contra] = await Promise.all([
    cli(['classify', '--model', 'resnet18', '--weights', out, img]),
    cli(['classify', '--model', 'resnet18', '--weights', out, '--num-classes', '2', '--topk', '1', img]),
    cli(['classify', '--model', 'resnet18', '--weights', out, '--num-classes', '3', img]),
  ]);
  assert.is(r.code, 0, `exit code; stderr: ${r.stderr.slice(-2000)}`);
  const lines = r.stdout.trim().split('\n').filter((l) => !/tfjs-node|====|^$|Hi, looks like/.test(l));
  assert.match(lines[0], /best\.safetensors: 2 classes from its metadata \[sneaker, trouser\], input 32×32$/);
  assert.match(lines[1], /sneaker\/\d+\.png \(resnet18 on simd, \d+ ms\):$/);
  assert.is(lines.length, 4, r.stdout);  // top-5 of 2 classes: both
  const rows = lines.slice(2).map((l) => /^ +(\d+\.\d\d)%  (sneaker|trouser) \((0|1)\)$/.exec(l));
  assert.ok(rows.every(Boolean), r.stdout);
  assert.equal(rows.map((m) => m![2]).sort(), ['sneaker', 'trouser']);
  for (const m of rows) assert.is(m![3], m![2] === 'sneaker' ? '0' : '1');
  assert.ok(Math.abs(rows.reduce((a, m) => a + parseFloat(m![1]), 0) - 100) < 0.02, 'probabilities sum to 100%');
  assert.is(same.code, 0, same.stderr);
  assert.match(same.stdout, /\n +\d+\.\d\d%  (sneaker|trouser) \((0|1)\)\n$/);
  assert.is(contra.code, 1);
  assert.match(contra.stderr, /simdnet: --num-classes 3 contradicts .*best\.safetensors, which names 2 classes in its metadata \[sneaker, trouser\]/);
  // no temp file left next to the saved weights (atomic save: <out>.tmp-<pid> renamed)
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('help: train states both LeNet-5 and fine-tune defaults; classify --num-classes; detect [0, 1]', async () => {
  const [train, classify, detect] = await Promise.all([cli(['train', '--help']), cli(['classify', '--help']), cli(['detect', '--help'])]);
  const t = train.stdout.replace(/\s+/g, ' ');
  assert.match(t, /--epochs <n> epochs \(default: LeNet-5 20; zoo models 2\)/);
  assert.match(t, /--batch-size <n> batch size \(default: LeNet-5 64; zoo models 32\)/);
  assert.match(t, /--lr <x> learning rate \(default: LeNet-5 0\.02, cosine decay to 0; zoo models 0\.001, constant\)/);
  assert.match(t, /--out <file> .*\(default: LeNet-5 lenet5-fashion-mnist\.safetensors; zoo models \.\/<model>-finetuned\.safetensors\)/);
  assert.match(t, /fine-tune a zoo model/);
  assert.not.match(t, /\(default: 20\)|\(default: 64\)|\(default: 0\.02\)|\(default: "lenet5-fashion-mnist/);
  assert.match(classify.stdout.replace(/\s+/g, ' '), /--num-classes <n> zoo models: classes of the checkpoint's head/);
  assert.match(detect.stdout.replace(/\s+/g, ' '), /--score-threshold <x> .*in \[0, 1\] \(default: 0\.5\)/);
});

test('up-front errors: one class, unwritable --out, --score-threshold, corrupt --weights named, long key lists shortened', async () => {
  const one = join(dir, 'one');
  for (const phase of ['train', 'val']) {
    mkdirSync(join(one, phase, 'sneaker'), { recursive: true });
    for (const f of readdirSync(join(data, phase, 'sneaker'))) copyFileSync(join(data, phase, 'sneaker', f), join(one, phase, 'sneaker', f));
  }
  const img = join(data, 'val', 'sneaker', readdirSync(join(data, 'val', 'sneaker'))[0]);
  const corrupt = join(dir, 'corrupt.safetensors');
  const b = new Uint8Array(64);
  new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
  writeFileSync(corrupt, b);
  const nope = join(dir, 'no-such-dir');
  const [single, badOut, thr, segBad, detBad, segOut, detOut, keys] = await Promise.all([
    cli(['train', '--model', 'resnet18', '--data', one, '--freeze', '--epochs', '1', '--out', join(dir, 'one.safetensors')]),
    cli(['train', '--model', 'resnet18', '--data', data, '--epochs', '1', '--out', join(nope, 'w.safetensors')]),
    cli(['detect', img, '--weights', corrupt, '--score-threshold', '1.5']),
    cli(['segment', img, '--weights', corrupt]),
    cli(['detect', img, '--weights', corrupt]),
    cli(['segment', img, '--weights', corrupt, '--out', join(nope, 'mask.png')]),
    cli(['detect', img, '--weights', corrupt, '--out', join(nope, 'boxes.png')]),
    cli(['classify', '--model', 'resnet18', '--weights', 'assets/lenet5-fashion-mnist.safetensors', img]),
  ]);
  assert.is(single.code, 1);
  assert.match(single.stderr, /warning: --freeze without --pretrained: the frozen resnet18 trunk is randomly initialised/);
  assert.match(single.stderr, /simdnet: --data .*one: found 1 class folder in .*one\/train \[sneaker\]; a classifier needs at least 2/);
  assert.not.ok(existsSync(join(dir, 'one.safetensors')));
  assert.is(badOut.code, 1);
  assert.match(badOut.stderr, /simdnet: --out .*no-such-dir\/w\.safetensors: directory .*no-such-dir does not exist/);
  assert.not.match(badOut.stdout, /Epoch/, 'rejected before training');
  assert.is(thr.code, 1);
  assert.match(thr.stderr, /--score-threshold must be a number in \[0, 1\], got '1\.5'/);
  for (const r of [segBad, detBad]) {
    assert.is(r.code, 1);
    assert.match(r.stderr, /simdnet: .*corrupt\.safetensors: not a usable \.safetensors weights file: safetensors: header length/);
  }
  for (const r of [segOut, detOut]) {
    assert.is(r.code, 1);
    assert.match(r.stderr, /simdnet: --out .*no-such-dir\/(mask|boxes)\.png: directory .*no-such-dir does not exist/, 'checked before the weights are read');
  }
  assert.is(keys.code, 1);
  assert.match(keys.stderr, /simdnet: Error\(s\) in loading state_dict for ResNet:/);
  assert.match(keys.stderr, /\t\d{3} missing key\(s\) in state_dict: "bn1\.weight", ("[^"]+", ){4}… \(\d+ more\)\./);
  assert.match(keys.stderr, /\t\d+ unexpected key\(s\) in state_dict: ("[^"]+", ){5}… \(\d+ more\)\./);
  assert.ok(keys.stderr.length < 1500, `short error (${keys.stderr.length} chars)`);
});

test('cliErrorMessage shortens StateDictError key lists; writeFileAtomic leaves no partial file', async () => {
  const k = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}.${i}.weight`);
  const mism = Array.from({ length: 7 }, (_, i) => ({ key: `m${i}`, expected: [2], actual: [3] }));
  const msg = cliErrorMessage(new StateDictError('UNet', k('a', 300), k('b', 2), mism));
  assert.match(msg, /^Error\(s\) in loading state_dict for UNet:\n\t300 missing key\(s\) in state_dict: "a\.0\.weight", "a\.1\.weight", "a\.2\.weight", "a\.3\.weight", "a\.4\.weight", … \(295 more\)\.\n/);
  assert.match(msg, /\t2 unexpected key\(s\) in state_dict: "b\.0\.weight", "b\.1\.weight"\.\n/);
  assert.match(msg, /\t7 size mismatches, the first 5:\n(\tsize mismatch for m\d: .*\n){5}\t…$/);
  assert.not.match(msg, /a\.5\.weight|m5/);
  assert.is(cliErrorMessage(new Error('plain')), 'plain');
  const f = join(dir, 'atomic.bin');
  await writeFileAtomic(f, Uint8Array.from([1, 2, 3]));
  assert.equal(Array.from(readFileSync(f)), [1, 2, 3]);
  let err: Error | null = null;
  try { await writeFileAtomic(join(dir, 'no-such-dir', 'x.bin'), Uint8Array.from([1])); } catch (e) { err = e as Error; }
  assert.ok(err, 'write into a missing directory rejects');
  assert.equal(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
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
