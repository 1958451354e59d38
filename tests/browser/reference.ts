// Node side of the browser tests: the inputs, weight files and `cpu` reference outputs that the
// pages and workers are compared with (tests/browser/run.mjs serves them under /fixtures/).
//
// - LeNet-5: the trained weights (assets/lenet5-fashion-mnist.safetensors) and the first 8 images
//   of the embedded Fashion-MNIST sample, normalized as in training, NHWC [8,28,28,1] (their 8-bit
//   pixels and labels in `extra`).
// - ResNet-18: torchvision-keyed weights by the fixtures' seeded rule (tests/torch_weights.ts),
//   written as a safetensors file (46.8 MB), and the fixture input NHWC [1,67,75,3]; the PyTorch
//   output is kept for information.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as zoo from '../../src/models/index.js';
import type { AnyModule } from '../../src/nn/index.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { loadIdx } from '../../src/io/idx.js';
import { imagesToTensor } from '../../src/data/fashion_mnist.js';
import { loadModelFixture, seededSafetensors } from '../zoo_helpers.js';
import { seededValues } from '../torch_weights.js';
import { opCases } from './op_cases.mjs';
import * as ops from '../../src/ops/index.js';
import * as nn from '../../src/nn/index.js';

const asset = (name: string) => fileURLToPath(new URL(`../../assets/${name}`, import.meta.url));

export interface ModelCase {
  model: string;
  weights: Uint8Array;
  input: Float32Array;
  /** NHWC. */
  shape: number[];
  /** `cpu` backend output in Node (the reference). */
  expected: Float32Array;
  /** Node `cpu` forward time (ms; warm, or the only run for fixtureCase). */
  cpuMs: number;
  extra: Record<string, unknown>;
}

async function useCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed");
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;  // no "install tfjs-node" banner
}

/** Node `cpu` output and forward time; `warmup` runs it once before the timed run. */
async function cpuForward(model: AnyModule, input: Float32Array, shape: number[], warmup = true): Promise<{ out: Float32Array; ms: number }> {
  await useCpu();
  const run = () => tf.tidy(() => (model.forward(tf.tensor4d(input, shape as [number, number, number, number])) as tf.Tensor).dataSync() as Float32Array);
  if (warmup) run();
  const t0 = performance.now();
  const out = run();
  return { out, ms: performance.now() - t0 };
}

export async function lenetCase(count = 8): Promise<ModelCase> {
  await useCpu();
  const weights = new Uint8Array(await readFile(asset('lenet5-fashion-mnist.safetensors')));
  const [im, lb] = await Promise.all([
    loadIdx(asset('fashion-mnist-sample-images-idx3-ubyte.gz')), loadIdx(asset('fashion-mnist-sample-labels-idx1-ubyte.gz')),
  ]);
  const [n, rows, cols] = im.shape;
  const x = imagesToTensor({ images: im.data as Uint8Array, n, rows, cols }, Array.from({ length: count }, (_, i) => i));
  const input = x.dataSync() as Float32Array;
  x.dispose();
  const model = zoo.lenet5();
  model.loadStateDict(parseSafetensors(weights).tensors, { strict: true });
  model.eval();
  const shape = [count, 28, 28, 1];
  const { out, ms } = await cpuForward(model, input, shape);
  model.dispose();
  return { model: 'lenet5', weights, input, shape, expected: out, cpuMs: ms, extra: { labels: Array.from((lb.data as Uint8Array).slice(0, count)), pixels: (im.data as Uint8Array).slice(0, count * rows * cols) } };
}

/** The fixture's state dict by the seeded rule (tests/torch_weights.ts) as a safetensors file. */
async function seededWeights(name: string): Promise<Uint8Array> {
  const fx = await loadModelFixture(name);
  return seededSafetensors(fx.entries);
}

/**
 * A zoo model with the weights of its PyTorch fixture (tests/fixtures/torch/<model>.safetensors,
 * seeded rule) on a small NHWC input [1, h, w, 3] of seeded values (name `input`), so that the
 * browser's SwiftShader WebGL finishes quickly; the reference is Node's `cpu` output.
 * `options` go to the factory (and to the worker's load) besides `initWeights: false`.
 */
export async function fixtureCase(model: string, h: number, w: number, options: Record<string, unknown> = {}): Promise<ModelCase> {
  const weights = await seededWeights(model);
  const nchw = seededValues('input', [1, 3, h, w], 0x1234);
  const input = new Float32Array(h * w * 3);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) input[(y * w + x) * 3 + c] = nchw[(c * h + y) * w + x];
  const shape = [1, h, w, 3];
  const make = (zoo as unknown as Record<string, (o: object) => AnyModule>)[model];
  const m = make({ initWeights: false, ...options });
  m.loadStateDict(parseSafetensors(weights).tensors, { strict: true });
  m.eval();
  const { out, ms } = await cpuForward(m, input, shape, false);  // one run: the cpu backend has no warm-up to speak of
  m.dispose();
  return { model, weights, input, shape, expected: out, cpuMs: ms, extra: { options } };
}

/** The src/ops cases of ./op_cases.mjs on Node's `cpu`: each output, flat, with its shape. */
export async function opsCase(): Promise<{ names: string[]; expected: Float32Array[]; shapes: number[][]; cpuMs: number }> {
  await useCpu();
  const cases = opCases({ tf, ops, nn });
  const names: string[] = [], expected: Float32Array[] = [], shapes: number[][] = [];
  const t0 = performance.now();
  for (const c of cases) {
    const y = tf.tidy(c.run) as tf.Tensor;
    names.push(c.name);
    shapes.push(y.shape);
    expected.push(y.dataSync() as Float32Array);
    y.dispose();
  }
  return { names, expected, shapes, cpuMs: performance.now() - t0 };
}

/** null when the zoo has no resnet18 yet or its fixture is missing. */
export async function resnetCase(): Promise<ModelCase | null> {
  const make = (zoo as Record<string, unknown>).resnet18 as ((o: object) => AnyModule) | undefined;
  if (typeof make !== 'function' || !existsSync(fileURLToPath(new URL('../fixtures/torch/resnet18.safetensors', import.meta.url)))) return null;
  const fx = await loadModelFixture('resnet18');
  const weights = seededSafetensors(fx.entries);
  const [N, C, H, W] = fx.input.shape;
  const input = new Float32Array(N * H * W * C);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
    input[((n * H + h) * W + w) * C + c] = fx.input.data[((n * C + c) * H + h) * W + w];
  }
  const shape = [N, H, W, C];
  const model = make({ initWeights: false });
  model.loadStateDict(parseSafetensors(weights).tensors, { strict: true });
  model.eval();
  const { out, ms } = await cpuForward(model, input, shape);
  model.dispose();
  let torchErr = 0;
  for (let i = 0; i < out.length; i++) torchErr = Math.max(torchErr, Math.abs(out[i] - fx.output.data[i]));
  return { model: 'resnet18', weights, input, shape, expected: out, cpuMs: ms, extra: { torchMaxAbsErr: torchErr, torchMaxAbs: fx.maxAbs } };
}
