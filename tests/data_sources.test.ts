// src/data beyond the file system, and decoding off the main thread: ImageListDataset /
// ImageFolder over File lists (Node 20's File) and URL lists (a local HTTP server), giving the
// same classes, labels, order and seeded batches as the file-system variant; DataLoader
// `workers: 1 | 2` (worker_threads running dist/simdnet.decode-worker.cjs) giving batches
// bit-identical to the main-thread path, with the chapter's random train transform; fallback to
// the main thread for custom transforms; errors naming the file. The browser side (File lists
// from a page, Web Worker decoding) is in tests/browser/run.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { encodePng } from '../src/io/index.js';
import { DataLoader, ImageFolder, ImageListDataset } from '../src/data/index.js';
import { CenterCrop, Compose, ImageTransform, Normalize, RandomHorizontalFlip, RandomResizedCrop, ToTensor, transformFromSpec, transformSpec } from '../src/transforms/index.js';
import { buildDecodeWorker } from '../scripts/build-decode-worker.mjs';
import { loadPretrained, stateDictToSafetensors, type Batch } from '../src/train/index.js';
import { lenet5 } from '../src/models/index.js';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';

const base = mkdtempSync(join(tmpdir(), 'simdnet-src-'));
const root = join(base, 'flowers');
const names: string[] = [];
// classes out of order, a nested file, a non-image, a file in the root (ignored)
const spec: Record<string, number> = { tulip: 3, daisy: 4, rose: 2 };
for (const [cls, n] of Object.entries(spec)) {
  mkdirSync(join(root, cls, 'sub'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const w = 9 + i, h = 7 + (cls.length % 3);
    const data = Uint8Array.from({ length: w * h * 3 }, (_, k) => (k * 7 + i * 31 + cls.charCodeAt(0)) & 255);
    const p = join(root, cls, i === 1 ? `sub/b${i}.png` : `a${i}.png`);
    writeFileSync(p, encodePng(w, h, data));
    names.push(p);
  }
  writeFileSync(join(root, cls, 'readme.txt'), 'x');
}
writeFileSync(join(root, 'stray.png'), encodePng(1, 1, new Uint8Array(3)));

/** Node 20 File objects with webkitRelativePath set like a picked folder (`flowers/<class>/…`). */
function pickedFolder(): File[] {
  const all = [...names, join(root, 'tulip', 'readme.txt'), join(root, 'stray.png')].reverse();
  return all.map((p) => {
    const f = new File([readFileSync(p)], p.split('/').pop()!);
    Object.defineProperty(f, 'webkitRelativePath', { value: relative(base, p) });
    return f;
  });
}

let server: Server;
let baseUrl = '';

async function collect(loader: AsyncIterable<Batch>): Promise<Array<{ x: Float32Array; shape: number[]; y: number[] }>> {
  const out = [];
  for await (const b of loader) {
    out.push({ x: b.x.dataSync() as Float32Array, shape: b.x.shape, y: Array.from(b.y.dataSync()) });
    tf.dispose([b.x, b.y]);
  }
  return out;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.every((v, i) => v === ub[i]);
}

test.before(async () => {
  await tf.setBackend('cpu');
  const t0 = performance.now();
  await buildDecodeWorker();
  console.log(`  decode worker build ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  server = createServer((req, res) => {
    const p = join(base, decodeURIComponent(req.url ?? ''));
    try {
      if (!statSync(p).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'content-type': 'image/png' }).end(readFileSync(p));
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

test.after(() => {
  server?.close();
  rmSync(base, { recursive: true, force: true });
});

test('ImageFolder.fromFiles: same classes, labels, order and pixels as the file-system ImageFolder', async () => {
  const fsDs = new ImageFolder(root);
  const fileDs = ImageFolder.fromFiles(pickedFolder());
  assert.equal(fileDs.classes, ['daisy', 'rose', 'tulip']);
  assert.equal(fileDs.classes, fsDs.classes);
  assert.equal(fileDs.classToIdx, fsDs.classToIdx);
  assert.is(fileDs.root, 'flowers');
  assert.equal(fileDs.samples.map((s) => s.label), fsDs.samples.map((s) => s.label));
  assert.equal(fileDs.samples.map((s) => join(base, s.path)), fsDs.samples.map((s) => s.path));
  assert.equal(fileDs.samples.slice(0, 4).map((s) => s.path), ['flowers/daisy/a0.png', 'flowers/daisy/a2.png', 'flowers/daisy/a3.png', 'flowers/daisy/sub/b1.png']);
  for (let i = 0; i < fsDs.length; i++) {
    const [a, b] = [await fsDs.get(i), await fileDs.get(i)];
    assert.equal([b.x.width, b.x.height, b.y], [a.x.width, a.x.height, a.y]);
    assert.ok(a.x.data.every((v, k) => v === b.x.data[k]), `item ${i} pixels`);
  }
  // { file, path } entries; errors
  const explicit = ImageFolder.fromFiles(names.map((p) => ({ file: new File([readFileSync(p)], 'x.png'), path: relative(base, p) })));
  assert.equal(explicit.samples.map((s) => s.path), fileDs.samples.map((s) => s.path));
  assert.throws(() => ImageFolder.fromFiles([new File([new Uint8Array(1)], 'lonely.png')]), /no folder in its path/);
  assert.throws(() => ImageFolder.fromFiles([{ file: new File([], 'a.png'), path: 'r1/c/a.png' }, { file: new File([], 'b.png'), path: 'r2/c/b.png' }]), /2 root folders/);
  assert.throws(() => ImageFolder.fromFiles([{ file: new File([], 'a.txt'), path: 'r/c/a.txt' }]), /found no valid file for the classes c/);
});

test('ImageFolder.fromUrls / ImageListDataset.fromUrlList: fetched over HTTP, same samples; 404 names the URL', async () => {
  const fsDs = new ImageFolder(root);
  const urls = names.map((p) => `${baseUrl}/${relative(base, p)}`).reverse();
  const urlDs = ImageFolder.fromUrls(`${baseUrl}/flowers`, urls);
  assert.equal(urlDs.classes, fsDs.classes);
  assert.equal(urlDs.samples.map((s) => s.label), fsDs.samples.map((s) => s.label));
  assert.equal(urlDs.samples.map((s) => s.path.slice(baseUrl.length + 1)), fsDs.samples.map((s) => relative(base, s.path)));
  const tr = new ImageTransform(6, [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]);
  const a = await collect(new DataLoader(new ImageFolder(root, tr.forPhase('train')), { batchSize: 4, shuffle: true, seed: 5 }));
  const b = await collect(new DataLoader(ImageFolder.fromUrls(`${baseUrl}/flowers/`, urls, tr.forPhase('train')), { batchSize: 4, shuffle: true, seed: 5 }));
  assert.equal(a.map((x) => x.y), b.map((x) => x.y));
  assert.ok(a.every((x, k) => sameBits(x.x, b[k].x)), 'same seeded batches from URLs as from files');
  assert.throws(() => ImageFolder.fromUrls(`${baseUrl}/other`, urls), /is not below/);
  const lst = ImageListDataset.fromUrlList([`${baseUrl}/flowers/daisy/a0.png`, `${baseUrl}/flowers/nope.png`], [1, 0]);
  assert.equal((await lst.get(0)).y, 1);
  try {
    await lst.get(1);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /cannot load http:\/\/127\.0\.0\.1:\d+\/flowers\/nope\.png: HTTP 404/);
  }
});

test('ImageListDataset.fromFileList: labels array or function, File bytes decoded like the file', async () => {
  const files = names.slice(0, 3).map((p) => new File([readFileSync(p)], p.split('/').pop()!));
  const ds = ImageListDataset.fromFileList(files, (f, i) => (f.name?.startsWith('a') ? 10 + i : 0), new ToTensor());
  assert.equal(ds.samples.map((s) => [s.path, s.label]), [['a0.png', 10], ['b1.png', 0], ['a2.png', 12]]);
  const ref = await new ImageListDataset([{ path: names[1], label: 0 }], new ToTensor()).get(0);
  assert.ok(sameBits((await ds.get(1)).x.data, ref.x.data));
  assert.throws(() => ImageListDataset.fromFileList(files, [1, 2]), /3 files but 2 labels/);
  assert.throws(() => ImageListDataset.fromFileList(files, [1, -1, 0]), /non-negative integer label/);
});

test('transformSpec round-trips the torchvision-named transforms; custom ones are undefined', () => {
  const tr = new ImageTransform(8, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
  const c = new Compose([new RandomResizedCrop([6, 5], { scale: [0.3, 0.9] }), new RandomHorizontalFlip(0.3), new ToTensor(), new Normalize([0.1, 0.2, 0.3], [1, 2, 3])]);
  for (const t of [tr.forPhase('train'), tr.forPhase('val'), c]) {
    const s = transformSpec(t)!;
    assert.ok(s, 'describable');
    assert.equal(transformSpec(transformFromSpec(JSON.parse(JSON.stringify(s)))), s);
  }
  assert.is(transformSpec({ apply: (x: unknown) => x }), undefined);
  assert.is(transformSpec(new Compose([new ToTensor(), { apply: (x: unknown) => x }])), undefined);
  assert.throws(() => transformFromSpec({ name: 'Blur' } as never), /unknown transform "Blur"/);
});

test('DataLoader workers: 1 and 2 give bit-identical batches to the main thread (train aug, val, raw); no leaks', async () => {
  const tr = new ImageTransform(6, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
  const before = tf.memory().numTensors;
  for (const t of [tr.forPhase('train'), tr.forPhase('val'), undefined]) {
    const make = (workers: number) => new DataLoader(ImageFolder.fromFiles(pickedFolder(), t), { batchSize: t ? 4 : 1, shuffle: true, seed: 9, workers });
    const main = make(0);
    assert.is(main.offThread, false);
    const ref = [await collect(main), await collect(main)];
    for (const n of [1, 2]) {
      const l = make(n);
      assert.is(l.offThread, true);
      const got = [await collect(l), await collect(l)];  // two epochs: reshuffled, new seeds
      l.close();
      for (let e = 0; e < 2; e++) {
        assert.equal(got[e].map((b) => b.y), ref[e].map((b) => b.y), `labels epoch ${e}`);
        assert.equal(got[e].map((b) => b.shape), ref[e].map((b) => b.shape));
        assert.ok(got[e].every((b, k) => sameBits(b.x, ref[e][k].x)), `workers ${n} epoch ${e}: identical values`);
      }
    }
    if (!t) assert.equal(ref[0].map((b) => b.shape[2]).sort((p, q) => p - q), [9, 9, 9, 10, 10, 10, 11, 11, 12], 'raw images keep their sizes');
  }
  assert.is(tf.memory().numTensors, before);
});

test('DataLoader workers: custom transforms stay on the main thread; decode errors name the file; bad options', async () => {
  const custom = new DataLoader(new ImageFolder(root, { apply: (img) => new ToTensor().apply(new CenterCrop(5).apply(img)) }), { batchSize: 9, workers: 2 });
  assert.is(custom.offThread, false);
  assert.equal((await collect(custom))[0].y, [0, 0, 0, 0, 1, 1, 2, 2, 2]);
  const bad = new DataLoader(ImageListDataset.fromFileList([new File([new Uint8Array([1, 2, 3, 4])], 'broken.png')], [0], new ToTensor()), { workers: 1 });
  assert.is(bad.offThread, true);
  try {
    await collect(bad);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /ImageListDataset: cannot load broken\.png: image: unrecognized format/);
  } finally {
    bad.close();
  }
  assert.throws(() => new DataLoader(new ImageFolder(root), { workers: -1 }), /workers must be a non-negative integer/);
  const missing = new DataLoader(new ImageFolder(root), { workers: 1, workerUrl: join(base, 'no-such-worker.cjs') });
  try {
    await collect(missing);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /decode worker/);
  } finally {
    missing.close();
  }
});

test('loadPretrained (Node): cache: false neither reads nor writes the cache; a stale cached copy is refetched, offline names it', async () => {
  const src = lenet5({ seed: 3 });
  const bytes = stateDictToSafetensors(src);
  src.dispose();
  writeFileSync(join(base, 'lenet5-test.safetensors'), bytes);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const url = `${baseUrl}/lenet5-test.safetensors`, cacheDir = join(base, 'cache');
  const m = lenet5({ initWeights: false });
  const a = await loadPretrained(m, url, { cacheDir, cache: false, sha256: sha });
  assert.equal([a.cached, a.path, existsSync(join(cacheDir, 'lenet5-test.safetensors'))], [false, url, false]);
  const b = await loadPretrained(m, url, { cacheDir, sha256: sha });
  assert.equal([b.cached, existsSync(b.path)], [false, true]);
  writeFileSync(b.path, new Uint8Array([1, 2, 3]));  // a corrupted / outdated cached copy
  try {
    await loadPretrained(m, url, { cacheDir, sha256: sha, offline: true });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`offline and the cached copy of .*lenet5-test\\.safetensors at .*cache.*does not match SHA-256 ${sha}`));
  }
  const c = await loadPretrained(m, url, { cacheDir, sha256: sha });  // refetched, cache repaired
  assert.equal([c.cached, c.sha256], [false, sha]);
  assert.is((await loadPretrained(m, url, { cacheDir, sha256: sha, offline: true })).cached, true);
  m.dispose();
});

test('plain Node package (dist/simdnet.node.cjs, no loader hooks): workers find dist/simdnet.decode-worker.cjs, same batches', () => {
  const dir = mkdtempSync(join(process.cwd(), '.tmp-pkg-'));  // inside the package: `import 'simdnet'` self-resolves
  const script = join(dir, 'use.mjs');
  writeFileSync(script, `
    import { data, transforms } from 'simdnet';
    const t = new transforms.ImageTransform(5, [0.5, 0.5, 0.5], [0.2, 0.2, 0.2]).forPhase('train');
    const run = async (workers) => {
      const l = new data.DataLoader(new data.ImageFolder(${JSON.stringify(root)}, t), { batchSize: 3, shuffle: true, seed: 4, workers });
      const out = [];
      for await (const b of l) { out.push([...b.x.dataSync()].join(), [...b.y.dataSync()].join()); b.x.dispose(); b.y.dispose(); }
      const off = l.offThread;
      l.close();
      return { off, out };
    };
    const a = await run(0), b = await run(2);
    console.log(JSON.stringify({ off: [a.off, b.off], same: a.out.join(';') === b.out.join(';'), batches: a.out.length / 2 }));
  `);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  rmSync(dir, { recursive: true, force: true });
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim().split('\n').pop()!), { off: [false, true], same: true, batches: 3 });
});

test.run();
