// Detection building blocks against torchvision 0.14 (tests/fixtures/torch/detection.safetensors,
// gen_detection.py): roi_align / roi_pool on `cpu` (JS reference path) and `simd` (native
// kernels), nms / batched_nms (identical kept indices, incl. tied scores), AnchorGenerator,
// BoxCoder, box_iou; bad-input errors; a timing print (not an assertion).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { randomArray } from './helpers';
import { loadTorchFixture, nchwToNhwc, nhwcToNchw } from './zoo_helpers';
import { roiAlign, roiAlignAsync, roiPool, roiPoolAsync } from '../src/ops/index.js';
import { AnchorGenerator, BoxCoder, batchedNms, boxIou, clipBoxesToImage, nms, removeSmallBoxes } from '../src/detection/index.js';

interface Case { name: string; op: string; params: Record<string, any>; tensors: Record<string, string> }

const fixture = await loadTorchFixture('detection');
const cases: Case[] = JSON.parse(fixture.metadata.cases);

function get(name: string): { shape: number[]; data: Float32Array | Int32Array } {
  const t = fixture.tensors.get(name);
  if (t == null) throw new Error(`detection.safetensors: tensor ${name} missing`);
  if (t.dtype === 'F32') return { shape: t.shape, data: t.data };
  if (t.dtype === 'I64') return { shape: t.shape, data: Int32Array.from(t.data, (v) => Number(v)) };
  throw new Error(`detection.safetensors: ${name} has dtype ${t.dtype}`);
}

/** |got − want| <= 1e-5 + 1e-4·|want| elementwise; returns the max abs error. */
function close(got: ArrayLike<number>, want: ArrayLike<number>, label: string, rtol = 1e-4, atol = 1e-5): number {
  assert.is(got.length, want.length, `${label}: length`);
  let max = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    if (!(e <= atol + rtol * Math.abs(want[i]))) assert.unreachable(`${label}[${i}]: got ${got[i]} want ${want[i]}`);
    max = Math.max(max, e);
  }
  return max;
}

for (const backend of ['cpu', 'simd']) {
  test(`roi_align / roi_pool = torchvision on ${backend}`, async () => {
    assert.ok(await tf.setBackend(backend));
    const before = tf.memory().numTensors;
    let worst = 0;
    let n = 0;
    for (const c of cases.filter((c) => c.op === 'roi_align' || c.op === 'roi_pool')) {
      const input = get(c.tensors.input);
      const rois = get(c.tensors.rois);
      const want = get(c.tensors.output);
      const got = tf.tidy(() => {
        const x = nchwToNhwc(input.data as Float32Array, input.shape);
        const opts = { outputSize: c.params.output_size as [number, number], spatialScale: c.params.spatial_scale,
          samplingRatio: c.params.sampling_ratio, aligned: c.params.aligned };
        const y = c.op === 'roi_align' ? roiAlign(x, tf.tensor2d(rois.data as Float32Array, rois.shape as [number, number]), opts)
          : roiPool(x, rois.data, opts);
        return nhwcToNchw(y).dataSync();
      });
      worst = Math.max(worst, close(got, want.data, `${backend} ${c.name}`));
      n++;
    }
    assert.ok(n >= 14, `${n} roi cases`);
    assert.is(tf.memory().numTensors, before, 'no tensor leak');
    console.log(`  roi ${backend}: ${n} cases, max |err| ${worst.toExponential(2)}`);
  });

  test(`roiAlignAsync / roiPoolAsync = torchvision and = the sync ops bit for bit on ${backend}; rejections leave nothing`, async () => {
    assert.ok(await tf.setBackend(backend));
    const before = tf.memory().numTensors;
    for (const c of cases.filter((c) => c.op === 'roi_align' || c.op === 'roi_pool')) {
      const input = get(c.tensors.input);
      const rois = get(c.tensors.rois);
      const x = nchwToNhwc(input.data as Float32Array, input.shape);
      const rt = tf.tensor2d(rois.data as Float32Array, rois.shape as [number, number]);
      const opts = { outputSize: c.params.output_size as [number, number], spatialScale: c.params.spatial_scale,
        samplingRatio: c.params.sampling_ratio, aligned: c.params.aligned };
      const [sync, asyncOp] = c.op === 'roi_align' ? [roiAlign, roiAlignAsync] : [roiPool, roiPoolAsync];
      const want = sync(x, rois.data, opts);
      for (const boxes of [rois.data, rt]) {  // flat array, and a tensor (read with await data())
        const got = await asyncOp(x, boxes, opts);
        assert.equal(Array.from(got.dataSync()), Array.from(want.dataSync()), `${backend} ${c.name}: async = sync`);
        const nchw = tf.tidy(() => nhwcToNchw(got).dataSync());
        close(nchw, get(c.tensors.output).data, `${backend} ${c.name} async`);
        got.dispose();
      }
      tf.dispose([x, rt, want]);
    }
    const x = tf.tensor4d(randomArray(2 * 6 * 7 * 3, 3), [2, 6, 7, 3]);
    const bi = tf.tensor1d([1], 'int32');
    const viaIdx = await roiAlignAsync(x, [1, 1, 3, 3], { outputSize: 2, boxIndices: bi });
    const ref = roiAlign(x, [1, 1, 1, 3, 3], { outputSize: 2 });
    assert.equal(Array.from(viaIdx.dataSync()), Array.from(ref.dataSync()), 'boxIndices tensor');
    tf.dispose([viaIdx, ref, bi]);
    const empty = await roiAlignAsync(x, new Float32Array(0), { outputSize: [7, 5] });
    assert.equal(empty.shape, [0, 7, 5, 3]);
    empty.dispose();
    const badT = tf.zeros([2, 4]), r2 = tf.zeros([3, 3]);
    for (const [p, re] of [
      [roiAlignAsync(x, [0, 1, 1, 3, 3, 1, 4, 1, 2, 3], { outputSize: 2 }), /roiAlign: RoI 1 is inverted/],
      [roiPoolAsync(x, badT, { outputSize: 2 }), /roiPool: boxes must be \[K, 5\]/],
      [roiAlignAsync(r2, [0, 1, 1, 2, 2], { outputSize: 2 }), /expected a rank-4 NHWC input/],
    ] as [Promise<unknown>, RegExp][]) {
      let msg = '';
      try { await p; } catch (e) { msg = (e as Error).message; }
      assert.match(msg, re);
    }
    tf.dispose([x, badT, r2]);
    assert.is(tf.memory().numTensors, before, 'no tensor left, also after the rejections');
  });
}

test('roiAlign / roiPool: simd native = cpu reference on random shapes (C = 1, 5, 37), boxIndices form', async () => {
  for (const c of [1, 5, 37]) {
    const [nb, h, w] = [3, 9, 11];
    const feats = randomArray(nb * h * w * c, 7 + c);
    const boxes = new Float32Array(40 * 4);
    const bi = new Int32Array(40);
    const r = randomArray(40 * 4, 99 + c);
    for (let i = 0; i < 40; i++) {
      const x1 = r[i * 4] * 30 + 10, y1 = r[i * 4 + 1] * 30 + 10;
      boxes.set([x1, y1, x1 + Math.abs(r[i * 4 + 2]) * 40, y1 + Math.abs(r[i * 4 + 3]) * 30], i * 4);
      bi[i] = i % nb;
    }
    const res: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'simd']) {
      await tf.setBackend(backend);
      res[backend] = tf.tidy(() => {
        const x = tf.tensor4d(feats, [nb, h, w, c]);
        return [
          roiAlign(x, boxes, { outputSize: [4, 3], spatialScale: 0.3, samplingRatio: -1, aligned: true, boxIndices: bi }).dataSync() as Float32Array,
          roiAlign(x, boxes, { outputSize: 2, spatialScale: 0.5, samplingRatio: 3, boxIndices: bi }).dataSync() as Float32Array,
          roiPool(x, boxes, { outputSize: [3, 5], spatialScale: 0.3, boxIndices: bi }).dataSync() as Float32Array,
        ];
      });
    }
    res.cpu.forEach((want, i) => close(res.simd[i], want, `C=${c} output ${i}`, 1e-5, 1e-6));
  }
});

test('roiAlign / roiPool: empty box list, zero-area boxes, bad input errors', async () => {
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(randomArray(2 * 6 * 7 * 3, 3), [2, 6, 7, 3]);
    for (const op of [roiAlign, roiPool]) {
      const e = op(x, new Float32Array(0), { outputSize: [7, 5] });
      assert.equal(e.shape, [0, 7, 5, 3], `${backend} empty`);
      e.dispose();
      const none = tf.zeros([0, 5]);
      const e2 = op(x, none, { outputSize: 2 });
      assert.equal(e2.shape, [0, 2, 2, 3]);
      tf.dispose([e2, none]);
      const bad: [number[], RegExp][] = [
        [[0, 1, 1, 3, 3, 0, NaN, 1, 3, 3], /RoI 1 has a non-finite corner/],
        [[0, 1, 1, 3, 3, 1, 4, 1, 2, 3], /RoI 1 is inverted/],
        [[0, 1, 1, 3, 3, 0, 1, 1, 3, 3, 2, 1, 1, 3, 3], /RoI 2 has batch index 2, outside \[0, 2\)/],
        [[-1, 1, 1, 3, 3], /RoI 0 has batch index -1/],
        [[0.5, 1, 1, 3, 3], /RoI 0 has batch index 0.5/],
        [[0, 1, 1, 1e30, 3], /RoI 0 has corners beyond/],
      ];
      for (const [b, re] of bad) assert.throws(() => op(x, b, { outputSize: 2 }), re, `${backend} ${re}`);
      assert.throws(() => op(x, [1, 1, 3, 3], { outputSize: 2, boxIndices: [5] }), /RoI 0 has batch index 5/);
      assert.throws(() => op(x, [1, 1, 3, 3], { outputSize: 0 }), /outputSize/);
      const flat = tf.zeros([2, 3]);
      assert.throws(() => op(flat, [0, 1, 1, 3, 3], { outputSize: 2 }), /rank-4/);
      flat.dispose();
    }
    // a huge samplingRatio, or adaptive sampling on a huge box: a clear error, not hours of work
    assert.throws(() => roiAlign(x, [0, 0, 0, 4, 4], { outputSize: 2, samplingRatio: 1e9 }), /RoI 0 brings the bilinear samples to .*limit 2\^31/);
    assert.throws(() => roiAlign(x, [0, 0, 0, 4, 4, 0, -1e7, -1e7, 1e7, 1e7], { outputSize: 7 }), /RoI 1 brings .*adaptive/);
    assert.ok(roiPool(x, [0, -1e7, -1e7, 1e7, 1e7], { outputSize: 7 }).dispose() === undefined, 'roiPool has no sampling grid');
    // zero-area box: aligned → no samples → 0; non-aligned → the 1×1 minimum size samples the map
    const z = roiAlign(x, [1, 2, 2, 2, 2], { outputSize: 2, aligned: true });
    assert.equal(Array.from(z.dataSync()), new Array(12).fill(0));
    const zp = roiPool(x, [1, 2, 2, 2, 2], { outputSize: 2 });
    assert.ok(zp.dataSync().every(Number.isFinite));
    tf.dispose([x, z, zp]);
    assert.is(tf.memory().numTensors, before, `${backend}: no leak`);
  }
});

test('nms / batchedNms = torchvision (identical kept indices, tied scores, duplicates)', () => {
  let n = 0;
  for (const c of cases.filter((c) => c.op === 'nms' || c.op === 'batched_nms')) {
    const boxes = get(c.tensors.boxes).data as Float32Array;
    const scores = get(c.tensors.scores).data as Float32Array;
    const want = Array.from(get(c.tensors.keep).data);
    const got = c.op === 'nms' ? nms(boxes, scores, c.params.iou_threshold)
      : batchedNms(boxes, scores, get(c.tensors.idxs).data, c.params.iou_threshold);
    assert.equal(Array.from(got), want, c.name);
    n++;
  }
  assert.is(n, 6);
  assert.is(nms(new Float32Array(0), new Float32Array(0), 0.5).length, 0);
  assert.is(batchedNms([], [], [], 0.5).length, 0);
  // ties: equal scores keep the lower index first; IoU exactly equal to the threshold is kept
  assert.equal(Array.from(nms([0, 0, 10, 10, 0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 60, 60, 50, 50, 60, 60],
    [0.5, 0.5, 0.5, 0.9, 0.9], 0.5)), [3, 0]);
  assert.equal(Array.from(nms([0, 0, 2, 1, 1, 0, 3, 1], [1, 0.9], 1 / 3)), [0, 1]);
  assert.equal(Array.from(nms([0, 0, 2, 1, 1, 0, 3, 1], [1, 0.9], 0.33)), [0]);
  // NaN score sorts first, as torch's descending sort (checked with torchvision 0.14: [1, 2, 3])
  assert.equal(Array.from(nms([0, 0, 10, 10, 20, 20, 30, 30, 40, 40, 50, 50, 0, 0, 10, 10], [0.5, NaN, 0.9, 0.7], 0.5)), [1, 2, 3]);
  assert.throws(() => nms([0, 0, 1], [1], 0.5), /N\*4/);
  assert.throws(() => nms([0, 0, 1, 1], [1, 2], 0.5), /1 boxes but 2 scores/);
});

/** Textbook greedy NMS (torchvision's loop: suppress later boxes), for the randomized check. */
function naiveNms(b: Float32Array, s: Float32Array, thr: number): number[] {
  const n = s.length, f = Math.fround;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => (s[j] - s[i]) || (i - j));
  const area = (i: number) => f(f(b[i * 4 + 2] - b[i * 4]) * f(b[i * 4 + 3] - b[i * 4 + 1]));
  const sup = new Uint8Array(n), keep: number[] = [];
  for (let a = 0; a < n; a++) {
    const i = order[a];
    if (sup[i]) continue;
    keep.push(i);
    for (let c = a + 1; c < n; c++) {
      const j = order[c];
      if (sup[j]) continue;
      const w = Math.max(0, f(Math.min(b[i * 4 + 2], b[j * 4 + 2]) - Math.max(b[i * 4], b[j * 4])));
      const h = Math.max(0, f(Math.min(b[i * 4 + 3], b[j * 4 + 3]) - Math.max(b[i * 4 + 1], b[j * 4 + 1])));
      const inter = f(w * h);
      if (f(inter / f(f(area(i) + area(j)) - inter)) > f(thr)) sup[j] = 1;
    }
  }
  return keep;
}

test('nms: grid-accelerated pass = textbook greedy NMS on random clustered boxes (incl. huge and degenerate ones)', () => {
  for (const seed of [1, 2, 3]) {
    const n = 1500;
    const r = randomArray(n * 5, 40 + seed);
    const b = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const big = i % 97 === 0, cl = (i % 7) * 60;
      const x1 = cl + r[i * 5] * 40, y1 = cl + r[i * 5 + 1] * 40;
      const wdt = big ? 400 : Math.abs(r[i * 5 + 2]) * 50, hgt = big ? 300 : Math.abs(r[i * 5 + 3]) * 50;
      b.set([x1, y1, x1 + (i % 131 === 0 ? 0 : wdt), y1 + hgt], i * 4);
    }
    const s = Float32Array.from(r.subarray(n * 4), (v) => Math.round(Math.abs(v) * 10) / 10);
    for (const thr of [0, 0.3, 0.5, 0.9, -0.1]) assert.equal(Array.from(nms(b, s, thr)), naiveNms(b, s, thr), `seed ${seed} thr ${thr}`);
  }
});

test('AnchorGenerator, BoxCoder, boxIou = torchvision; clip / removeSmallBoxes', () => {
  for (const c of cases.filter((c) => c.op === 'anchors')) {
    const g = new AnchorGenerator(c.params.sizes, c.params.aspect_ratios);
    const a = g.anchors(c.params.image_size, c.params.feature_sizes);
    assert.equal(Array.from(a), Array.from(get(c.tensors.anchors).data), c.name);  // integers: exact
  }
  assert.equal(new AnchorGenerator().numAnchorsPerLocation(), [15]);
  assert.throws(() => new AnchorGenerator([[32]], [[1], [2]]), /levels/);
  for (const c of cases.filter((c) => c.op === 'box_coder')) {
    const coder = new BoxCoder(c.params.weights);
    const boxes = get(c.tensors.boxes).data, codes = get(c.tensors.codes).data, gt = get(c.tensors.gt).data;
    close(coder.decode(codes, boxes), get(c.tensors.decoded).data, `${c.name} decode`);
    close(coder.encode(gt, boxes), get(c.tensors.encoded).data, `${c.name} encode`);
    close(coder.decode(coder.encode(gt, boxes), boxes), gt, `${c.name} roundtrip`, 1e-4, 1e-3);
  }
  const iou = cases.find((c) => c.op === 'box_iou')!;
  close(boxIou(get(iou.tensors.a).data, get(iou.tensors.b).data), get(iou.tensors.iou).data, 'box_iou');
  assert.equal(Array.from(clipBoxesToImage([-5, 3, 120, 90], [80, 100])), [0, 3, 100, 80]);
  assert.equal(Array.from(removeSmallBoxes([0, 0, 5, 5, 0, 0, 0.5, 9, 1, 1, 3, 2], 1)), [0, 2]);
});

/** The float32 next to float32 v, towards +inf (dir 1) or 0 (dir −1), for v > 0. */
function f32Step(v: number, dir: 1 | -1): number {
  const b = new Float32Array([v]);
  new Int32Array(b.buffer)[0] += dir;
  return b[0];
}

test('removeSmallBoxes compares float32 sides with float32(minSize), as torch (RPN 1e-3, RoIHeads 1e-2)', () => {
  // Expected keeps from torchvision 0.14 on the same float32 boxes:
  //   s = np.float32(m); lo, hi = np.nextafter(s, 0), np.nextafter(s, 1)
  //   rows = [[0,0,v,1] for v in (lo,s,hi)] + [[0,0,1,v] for v in (lo,s,hi)]
  //        + [[1,2,f32(1)+s,3], [5,2,6,f32(2)+s], [100,0,f32(100)+s,1]]
  //   torchvision.ops.remove_small_boxes(torch.tensor(rows, dtype=torch.float32), m)
  // (the Python float is cast to float32: with m = 1e-2 or 0.7, float32(m) < m, so a side of
  // exactly float32(m) is kept, where a float64 comparison would drop it).
  const f = Math.fround;
  const want: [number, number[]][] = [[1e-3, [1, 2, 4, 5, 6]], [1e-2, [1, 2, 4, 5, 8]], [0.7, [1, 2, 4, 5, 6, 7]]];
  for (const [m, keep] of want) {
    const s = f(m), lo = f32Step(s, -1), hi = f32Step(s, 1);
    const rows = [[0, 0, lo, 1], [0, 0, s, 1], [0, 0, hi, 1], [0, 0, 1, lo], [0, 0, 1, s], [0, 0, 1, hi],
      [1, 2, f(1 + s), 3], [5, 2, 6, f(2 + s)], [100, 0, f(100 + s), 1]];
    const boxes = Float32Array.from(rows.flat());
    assert.equal(Array.from(removeSmallBoxes(boxes, m)), keep, `min_size ${m}`);
    assert.equal(Array.from(removeSmallBoxes(Array.from(boxes), m)), keep, `min_size ${m}, plain array`);
  }
  assert.throws(() => removeSmallBoxes([0, 0, 1], 1e-3), /removeSmallBoxes/);
});

test('timing (printed, not asserted): roiAlign 1000 RoIs 7×7 over 256 channels, nms over 5,000 boxes', async () => {
  const [h, w, c] = [50, 68, 256];
  const feats = randomArray(h * w * c, 5);
  const r = randomArray(1000 * 4, 6);
  const rois = new Float32Array(1000 * 5);
  for (let i = 0; i < 1000; i++) {
    const x1 = (r[i * 4] + 1) * 400, y1 = (r[i * 4 + 1] + 1) * 300;
    rois.set([0, x1, y1, x1 + Math.abs(r[i * 4 + 2]) * 200 + 8, y1 + Math.abs(r[i * 4 + 3]) * 200 + 8], i * 5);
  }
  for (const backend of ['simd', 'cpu']) {
    await tf.setBackend(backend);
    const x = tf.tensor4d(feats, [1, h, w, c]);
    const opts = { outputSize: 7, spatialScale: 1 / 16, samplingRatio: 2, aligned: true };
    tf.dispose(roiAlign(x, rois.subarray(0, 50), opts));  // warm-up
    const runs = backend === 'simd' ? 3 : 1;
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) tf.dispose(roiAlign(x, rois, opts));
    const dt = (performance.now() - t0) / runs;
    const tp = performance.now();
    tf.dispose(roiPool(x, rois, opts));
    console.log(`  roiAlign ${backend}: 1000 RoIs 7x7x256 sr=2 ${dt.toFixed(1)} ms; roiPool ${(performance.now() - tp).toFixed(1)} ms`);
    x.dispose();
  }
  const nb = randomArray(5000 * 4, 11);
  const boxes = new Float32Array(5000 * 4);
  for (let i = 0; i < 5000; i++) {
    const x1 = (nb[i * 4] + 1) * 500, y1 = (nb[i * 4 + 1] + 1) * 400;
    boxes.set([x1, y1, x1 + Math.abs(nb[i * 4 + 2]) * 120 + 4, y1 + Math.abs(nb[i * 4 + 3]) * 120 + 4], i * 4);
  }
  const scores = randomArray(5000, 12).map(Math.abs);
  nms(boxes, scores, 0.7);
  for (const thr of [0.7, 0.5, 0.3]) {
    const t0 = performance.now();
    const keep = nms(boxes, scores, thr);
    console.log(`  nms 5000 boxes iou ${thr}: ${(performance.now() - t0).toFixed(2)} ms, kept ${keep.length}`);
  }
});

test('nms: high thresholds on dense near-duplicates = textbook greedy NMS; float32 fast sort = comparator sort (NaN, −0, ties)', () => {
  for (const seed of [4, 5]) {
    const n = 3000;
    const r = randomArray(n * 6, 70 + seed);
    const b = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      // 60 objects, ~50 jittered detections each; every 113th box huge, every 211th inverted
      const o = i % 60, ox = (o % 10) * 70, oy = Math.floor(o / 10) * 70, s = 20 + (o % 7) * 8;
      const x1 = ox + r[i * 6] * 6, y1 = oy + r[i * 6 + 1] * 6;
      const w = i % 113 === 0 ? 900 : s * (1 + 0.2 * r[i * 6 + 2]), h = s * (1 + 0.2 * r[i * 6 + 3]);
      b.set(i % 211 === 0 ? [x1 + 5, y1, x1, y1 + h] : [x1, y1, x1 + w, y1 + h], i * 4);
    }
    const sc = Float32Array.from(r.subarray(n * 4, n * 5), (v) => Math.round(Math.abs(v) * 50) / 50);
    for (const thr of [0.5, 0.7, 0.8, 0.95, 0.99, 1]) assert.equal(Array.from(nms(b, sc, thr)), naiveNms(b, sc, thr), `seed ${seed} thr ${thr}`);
  }
  // Float32Array scores take the key sort, plain arrays the comparator sort: same order
  const boxes = new Float32Array(9 * 4);
  for (let i = 0; i < 9; i++) boxes.set([i * 20, 0, i * 20 + 10, 10], i * 4);
  const sc = [0.5, NaN, -0, 0, -1.5, 0.5, NaN, -Infinity, Infinity];
  const keepF32 = Array.from(nms(boxes, Float32Array.from(sc), 0.5));
  assert.equal(keepF32, Array.from(nms(boxes, sc, 0.5)));
  assert.equal(keepF32, [1, 6, 8, 0, 5, 2, 3, 4, 7]);
});

test.run();
