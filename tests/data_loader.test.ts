// src/data: ImageFolder / ImageListDataset over PNG files in a temp dir, DataLoader batching,
// shuffling, dropLast, prefetch, seeded reproducibility (incl. random transforms), errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../src/io/index.js';
import { DataLoader, ImageFolder, ImageListDataset, collate, type Dataset, type Sample } from '../src/data/index.js';
import { ImageTransform, ToTensor } from '../src/transforms/index.js';
import type { Batch } from '../src/train/index.js';

const root = mkdtempSync(join(tmpdir(), 'simdnet-data-'));
// classes deliberately created out of order; one non-image file; a nested folder
const spec: Record<string, number> = { zebra: 3, ant: 4, bee: 2 };
for (const [cls, n] of Object.entries(spec)) {
  mkdirSync(join(root, cls, 'nested'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(6 * 5 * 3).fill(10 * i + cls.length);
    data[0] = i; // marks the file index
    writeFileSync(join(root, cls, i === n - 1 ? `nested/img${i}.PNG` : `img${i}.png`), encodePng(5, 6, data));
  }
  writeFileSync(join(root, cls, 'notes.txt'), 'not an image');
}
writeFileSync(join(root, 'stray.png'), encodePng(1, 1, new Uint8Array(3)));

test('ImageFolder: sorted classes, classToIdx, samples sorted, only image files', () => {
  const ds = new ImageFolder(root);
  assert.equal(ds.classes, ['ant', 'bee', 'zebra']);
  assert.equal(ds.classToIdx, { ant: 0, bee: 1, zebra: 2 });
  assert.is(ds.length, 9);
  assert.equal(ds.samples.map((s) => s.label), [0, 0, 0, 0, 1, 1, 2, 2, 2]);
  assert.equal(ds.samples[0].path, join(root, 'ant', 'img0.png'));
  assert.equal(ds.samples[3].path, join(root, 'ant', 'nested', 'img3.PNG'));
  assert.throws(() => new ImageFolder(join(root, 'ant', 'nested')), /class folder/);
});

test('ImageFolder.get decodes to RGB HWC uint8 and applies the transform', async () => {
  const raw = await new ImageFolder(root).get(1);
  assert.equal([raw.x.height, raw.x.width, raw.x.channels, raw.y], [6, 5, 3, 0]);
  assert.is(raw.x.data[0], 1);
  const t = await new ImageFolder(root, new ToTensor()).get(0);
  assert.equal(t.x.shape, [6, 5, 3]);
  assert.ok(Math.abs(t.x.data[3] - 3 / 255) < 1e-7);
  const lst = new ImageListDataset([{ path: join(root, 'nope.png'), label: 0 }]);
  try {
    await lst.get(0);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /nope\.png/);
  }
});

async function collect(loader: AsyncIterable<Batch>): Promise<Array<{ x: number[]; shape: number[]; y: number[] }>> {
  const out = [];
  for await (const b of loader) {
    out.push({ x: Array.from(b.x.dataSync()), shape: b.x.shape, y: Array.from(b.y.dataSync()) });
    tf.dispose([b.x, b.y]);
  }
  return out;
}

test('DataLoader: NHWC float32 / int32 batches, length, dropLast, no leaks', async () => {
  const ds = new ImageFolder(root, new ToTensor());
  const before = tf.memory().numTensors;
  const l = new DataLoader(ds, { batchSize: 4 });
  assert.is(l.length, 3);
  const bs = await collect(l);
  assert.equal(bs.map((b) => b.shape), [[4, 6, 5, 3], [4, 6, 5, 3], [1, 6, 5, 3]]);
  assert.equal(bs.flatMap((b) => b.y), [0, 0, 0, 0, 1, 1, 2, 2, 2]);
  const d = new DataLoader(ds, { batchSize: 4, dropLast: true });
  assert.is(d.length, 2);
  assert.is((await collect(d)).length, 2);
  assert.is(tf.memory().numTensors, before);
  // uint8 images collate scaled to [0, 1]
  const raw = (await collect(new DataLoader(new ImageFolder(root), { batchSize: 9 })))[0];
  assert.ok(Math.abs(raw.x[3] - 3 / 255) < 1e-7);
});

test('DataLoader: shuffle reproducible under a seed, differs per epoch, independent of prefetch', async () => {
  const tr = new ImageTransform(4, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]);
  const make = (prefetch: number, seed = 11) => new DataLoader(new ImageFolder(root, tr.forPhase('train')), { batchSize: 3, shuffle: true, seed, prefetch });
  const a = make(1), b = make(0), c = make(3), other = make(1, 12);
  const a0 = await collect(a), b0 = await collect(b), c0 = await collect(c);
  assert.equal(a0, b0);
  assert.equal(a0, c0);
  const a1 = await collect(a);
  assert.not.equal(a0.flatMap((x) => x.y), a1.flatMap((x) => x.y), 'epoch 2 reshuffles');
  assert.equal(a1, await collect(b));
  assert.not.equal(a0, await collect(other));
  assert.equal([...a0.flatMap((x) => x.y)].sort(), [0, 0, 0, 0, 1, 1, 2, 2, 2]);
});

test('DataLoader prefetches: the next batch is being loaded while the consumer holds one', async () => {
  const started: number[] = [];
  const ds: Dataset<Sample<{ shape: [number, number, number]; data: Float32Array }>> = {
    length: 6,
    async get(i) {
      started.push(i);
      return { x: { shape: [1, 1, 1], data: new Float32Array([i]) }, y: i };
    },
  };
  const l = new DataLoader(ds, { batchSize: 2, prefetch: 1 });
  const it = l[Symbol.asyncIterator]();
  const first = await it.next();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(started, [0, 1, 2, 3], 'batch 1 started before batch 0 is consumed');
  tf.dispose([first.value.x, first.value.y]);
  await it.return!();
  await new Promise((r) => setTimeout(r, 5));
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /batchSize/);
  assert.throws(() => collate([]), /empty/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
