// `simdnet classify --model resnet18 --weights f.safetensors image.png`: strict torchvision-keyed
// load, ImageNet preprocessing, top-5 printed; wrong keys named in the error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import './helpers';
import { classifyWithZoo } from '../src/cli/zoo_job';
import { resnet18 } from '../src/models/index';
import { encodePng } from '../src/io/image';
import { seededSafetensors, stateDictEntries } from './zoo_helpers';

const dir = mkdtempSync(join(tmpdir(), 'simdnet-cli-'));

function writeWeights(path: string, rename?: [string, string]): void {
  writeFileSync(path, seededSafetensors(stateDictEntries(() => resnet18({ initWeights: false })), rename));
}

test('classify --model resnet18 prints the top-5 ImageNet classes', async () => {
  const weights = join(dir, 'r18.safetensors');
  writeWeights(weights);
  const w = 97, h = 61;
  const px = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 251);
  const image = join(dir, 'img.png');
  writeFileSync(image, encodePng(w, h, px));
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => lines.push(s);
  try {
    await classifyWithZoo([image], { model: 'resnet18', weights, backend: 'simd', topk: 5 });
  } finally {
    console.log = log;
  }
  assert.match(lines[0], /resnet18 on simd/);
  assert.is(lines.length, 6);
  const probs = lines.slice(1).map(l => parseFloat(l));
  for (let i = 1; i < probs.length; i++) assert.ok(probs[i] <= probs[i - 1], 'sorted by probability');
  assert.match(lines[1], /\(\d+\)$/);
});

test('a state_dict with a wrong key names it (strict load)', async () => {
  const weights = join(dir, 'bad.safetensors');
  writeWeights(weights, ['layer1.0.conv1.weight', 'layer1.0.convX.weight']);
  const image = join(dir, 'img.png');
  let err: Error | null = null;
  try { await classifyWithZoo([image], { model: 'resnet18', weights, backend: 'simd', topk: 5 }); } catch (e) { err = e as Error; }
  assert.ok(err, 'strict load throws');
  assert.match(err!.message, /layer1\.0\.conv1\.weight/);
  assert.match(err!.message, /layer1\.0\.convX\.weight/);
});

test('unknown model and missing weights give clear errors', async () => {
  let err: Error | null = null;
  try { await classifyWithZoo(['x.png'], { model: 'resnet9', backend: 'simd', topk: 5 }); } catch (e) { err = e as Error; }
  assert.match(err!.message, /unknown model 'resnet9'/);
  err = null;
  try { await classifyWithZoo(['x.png'], { model: 'resnet50', backend: 'simd', topk: 5 }); } catch (e) { err = e as Error; }
  assert.match(err!.message, /--weights/);
});

test.run();
