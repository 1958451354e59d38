// Faster R-CNN front half against torchvision 0.14 (tests/fixtures/torch/rpn.safetensors,
// gen_rpn.py): ResNet-50 + FPN backbone and RPN of fasterrcnn_resnet50_fpn with the seeded
// weights (simdnet-hash32-v1), input 1×3×118×150 (not a multiple of 32: non-2× nearest
// upsampling 8×10 → 15×19 in the FPN, anchor strides ⌊118/30⌋ = 3 …). Checks: key-for-key strict
// loading of every backbone.* and rpn.* entry, FPN maps and head outputs on simd and cpu,
// proposals (boxes, scores, levels, order), no tensor leaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { loadTorchFixture, nchwToNhwc, nhwcToNchw } from './zoo_helpers';
import { seededStateDict, type SeededEntry } from './torch_weights';
import { BatchNorm2d, Module } from '../src/nn/index.js';
import { BackboneWithFPN, RegionProposalNetwork, batchedNmsTorchvision, batchedNms } from '../src/detection/index.js';
import { maxAbsDiff, maxAbs } from './helpers';

const fixture = await loadTorchFixture('rpn');
const meta = fixture.metadata;
const entries: SeededEntry[] = JSON.parse(meta.state_dict);
const [H, W] = JSON.parse(meta.image_size) as [number, number];
const rpnCfg = JSON.parse(meta.rpn);

function get(name: string): { shape: number[]; data: Float32Array | Int32Array } {
  const t = fixture.tensors.get(name);
  if (t == null) throw new Error(`rpn.safetensors: tensor ${name} missing`);
  if (t.dtype === 'F32') return { shape: t.shape, data: t.data as Float32Array };
  if (t.dtype === 'I64') return { shape: t.shape, data: Int32Array.from(t.data as ArrayLike<bigint>, (v) => Number(v)) };
  throw new Error(`rpn.safetensors: ${name} has dtype ${t.dtype}`);
}

/** The backbone + rpn of torchvision's FasterRCNN (keys backbone.*, rpn.*; roi_heads.* left out). */
class FrontHalf extends Module<tf.Tensor, tf.Tensor4D[]> {
  backbone = new BackboneWithFPN();
  rpn = new RegionProposalNetwork(256, {
    preNmsTopN: rpnCfg.pre_nms_top_n, postNmsTopN: rpnCfg.post_nms_top_n, nmsThresh: rpnCfg.nms_thresh,
    scoreThresh: rpnCfg.score_thresh, minSize: rpnCfg.min_size, anchorSizes: rpnCfg.anchor_sizes, aspectRatios: rpnCfg.aspect_ratios,
  });
  forward(x: tf.Tensor): tf.Tensor4D[] {
    return this.backbone.forward(x);
  }
}

let model: FrontHalf | null = null;

test('state_dict: backbone.* and rpn.* keys, order and shapes = torchvision 0.14; strict seeded load', async () => {
  await tf.setBackend('simd');
  model = new FrontHalf();
  model.eval();
  const wanted = entries.filter((e) => !e.name.startsWith('roi_heads.'));
  assert.is(wanted.length, entries.length - 8, 'roi_heads has 8 entries (fc6, fc7, cls_score, bbox_pred)');
  const sd = model.stateDict();
  try {
    const mine = Object.entries(sd).map(([k, v]) => `${k} [${v.shape.join(', ')}]`);
    const theirs = wanted.map((e) => `${e.name} [${e.shape.join(', ')}]`);
    assert.equal(mine, theirs, 'keys, order and PyTorch shapes');
  } finally {
    tf.dispose(Object.values(sd));
  }
  // strict: every key of the dict must exist and every module key must be given
  model.loadStateDict(seededStateDict(wanted), { strict: true });
  // the full Faster R-CNN dict has roi_heads.*: strict loading must name them as unexpected
  assert.throws(() => model!.loadStateDict(seededStateDict(entries.filter((e) => e.name.startsWith('roi_heads.') || e.name === 'rpn.head.cls_logits.bias')), { strict: true }),
    /roi_heads\.box_head\.fc6\.weight/);
  model.loadStateDict(seededStateDict(wanted), { strict: true });
});

for (const backend of ['simd', 'cpu']) {
  test(`FPN maps, RPN head and proposals = torchvision on ${backend}`, async () => {
    assert.ok(await tf.setBackend(backend));
    assert.ok(model, 'model built by the first test');
    const before = tf.memory().numTensors;
    const t0 = Date.now();
    const inp = get('input');
    const x = nchwToNhwc(inp.data as Float32Array, inp.shape);
    const feats = model!.call(x);
    const report: string[] = [];
    let headErr = 0;
    try {
      const names = model!.backbone.names();
      assert.equal(names, ['0', '1', '2', '3', 'pool']);
      names.forEach((n, i) => {
        const want = get(`fpn.${n}`);
        const got = tf.tidy(() => nhwcToNchw(feats[i]));
        try {
          assert.equal(got.shape, want.shape, `fpn.${n} shape`);
          const scale = Math.max(1, maxAbs(want.data));
          const e = maxAbsDiff(got.dataSync(), want.data);
          assert.ok(e <= 1e-4 * scale, `fpn.${n} on ${backend}: max |err| ${e} > 1e-4 × ${scale}`);
          report.push(`${n} ${e.toExponential(1)}/${scale.toFixed(0)}`);
        } finally {
          got.dispose();
        }
      });
      // head outputs per level
      const head = model!.rpn.call(feats);
      try {
        for (let l = 0; l < 5; l++) {
          for (const [what, t] of [['objectness', head.objectness[l]], ['deltas', head.deltas[l]]] as const) {
            const want = get(`head.${what}.${l}`);
            const got = tf.tidy(() => nhwcToNchw(t));
            const e = maxAbsDiff(got.dataSync(), want.data);
            got.dispose();
            const scale = Math.max(1, maxAbs(want.data));
            assert.ok(e <= 1e-4 * scale, `head.${what}.${l} on ${backend}: max |err| ${e} (scale ${scale})`);
            headErr = Math.max(headErr, e / scale);
          }
        }
      } finally {
        tf.dispose([...head.objectness, ...head.deltas]);
      }
      // proposals
      const [p] = await model!.rpn.proposals(feats, [H, W], [[H, W]]);
      const wantBoxes = get('proposals').data, wantScores = get('proposal_scores').data, wantLevels = get('proposal_levels').data;
      assert.is(p.scores.length, wantScores.length, `${backend}: number of proposals`);
      assert.is(p.scores.length, Number(meta.num_proposals));
      const eb = maxAbsDiff(p.boxes, wantBoxes), es = maxAbsDiff(p.scores, wantScores);
      // The backbone's float32 noise (head outputs ~4e-6 × their scale here) is amplified by the
      // decode: a coordinate moves by ~exp(dw)·w·δdw, and exp(dw)·w reaches ~60× the anchor before
      // clipping, so the tolerance is relative to the box side (worst seen: 3.2e-4 × side).
      let worstRel = 0;
      for (let i = 0; i < p.scores.length; i++) {
        const side = Math.max(1, wantBoxes[i * 4 + 2] - wantBoxes[i * 4], wantBoxes[i * 4 + 3] - wantBoxes[i * 4 + 1]);
        for (let k = 0; k < 4; k++) worstRel = Math.max(worstRel, Math.abs(p.boxes[i * 4 + k] - wantBoxes[i * 4 + k]) / side);
      }
      assert.ok(worstRel <= 1e-3, `${backend}: proposal box error ${worstRel} × box side`);
      assert.ok(es <= 1e-4, `${backend}: proposal scores max |err| ${es} (logit noise × sigmoid slope)`);
      assert.equal(Array.from(p.levels), Array.from(wantLevels), `${backend}: proposal levels in order`);
      report.push(`head ${headErr.toExponential(1)}×scale; proposals ${p.scores.length}, same order, boxes max |err| ${eb.toExponential(1)} (${worstRel.toExponential(1)}×side), scores ${es.toExponential(1)}`);
    } finally {
      tf.dispose([x, ...feats]);
    }
    // the first eval forward folds every BN into its conv (nn/fused.ts cache: filter + bias each)
    const folded = backend === 'simd' ? 2 * model!.backbone.modules().filter((m) => m instanceof BatchNorm2d).length : 0;
    assert.is(tf.memory().numTensors, before + folded, 'no tensor leak (besides the folded-BN cache)');
    console.log(`  ${backend}: fpn err/scale ${report.join(', ')} (${Date.now() - t0} ms)`);
  });
}

test('filterProposals on the fixture head outputs (exact path, no backbone noise) = torchvision', () => {
  const rpn = model!.rpn;
  const obj: Float32Array[] = [], del: Float32Array[] = [], fs: [number, number][] = [];
  for (let l = 0; l < 5; l++) {
    const o = get(`head.objectness.${l}`), d = get(`head.deltas.${l}`);
    const [, a, h, w] = o.shape;
    fs.push([h, w]);
    // NCHW → (y, x, a) and (y, x, a, k)
    const of = new Float32Array(h * w * a), df = new Float32Array(h * w * a * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < a; c++) {
      of[(y * w + x) * a + c] = o.data[(c * h + y) * w + x];
      for (let k = 0; k < 4; k++) df[((y * w + x) * a + c) * 4 + k] = d.data[((c * 4 + k) * h + y) * w + x];
    }
    obj.push(of); del.push(df);
  }
  const p = rpn.filterProposals(obj, del, [H, W], fs, [H, W]);
  // exp: torch's vectorized (Sleef) exp and Math.exp differ by an ulp at times, so not bit-exact.
  const eb = maxAbsDiff(p.boxes, get('proposals').data);
  console.log(`  filterProposals on torch's head outputs: ${p.scores.length} proposals, boxes max |err| ${eb.toExponential(1)}`);
  assert.ok(eb <= 1e-4, `boxes max |err| ${eb}`);
  assert.ok(maxAbsDiff(p.scores, get('proposal_scores').data) <= 1e-7, 'scores');
  assert.equal(Array.from(p.levels), Array.from(get('proposal_levels').data));
});

test('batchedNmsTorchvision: vanilla path (> 1000 boxes) keeps the same set as the coordinate trick', () => {
  const n = 1500;
  const boxes = new Float32Array(n * 4), scores = new Float32Array(n), idxs = new Int32Array(n);
  let s = 12345;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    const x = r() * 300, y = r() * 300;
    boxes.set([x, y, x + 5 + r() * 60, y + 5 + r() * 60], i * 4);
    scores[i] = r();
    idxs[i] = i % 5;
  }
  const a = batchedNmsTorchvision(boxes, scores, idxs, 0.7);
  const b = batchedNms(boxes, scores, idxs, 0.7);
  assert.equal(Array.from(a), Array.from(b));
  assert.throws(() => model!.rpn.filterProposals([new Float32Array(3)], [new Float32Array(12)], [H, W], [[1, 1]], [H, W]), /anchor levels/);
});

test('dispose', () => {
  model?.dispose();
  model = null;
});

test.run();
