/**
 * `simdnet classify --model resnet50 --weights <file.safetensors> <image…>`: an ImageNet
 * classifier from the zoo with torchvision-keyed weights (strict load), ImageNet preprocessing
 * (Resize 256 antialiased bilinear, CenterCrop 224, Normalize) and the top-5 classes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import * as zoo from '../models/index';
import type { Module } from '../nn/index';
import type { SafetensorsFile } from '../io/safetensors';
import { readWeightsFile } from './files';
import { decodeImage } from '../io/image';
import { useBackend } from './backends';

/** Zoo factories the CLI can build, by torchvision name. */
export const ZOO: Record<string, (o: { numClasses?: number; initWeights?: boolean }) => Module> = {
  alexnet: zoo.alexnet, googlenet: (o: { numClasses?: number; initWeights?: boolean }) => zoo.googlenet({ ...o, transformInput: true } as never),
  vgg11: zoo.vgg11, vgg13: zoo.vgg13, vgg16: zoo.vgg16, vgg19: zoo.vgg19,
  vgg11_bn: zoo.vgg11_bn, vgg13_bn: zoo.vgg13_bn, vgg16_bn: zoo.vgg16_bn, vgg19_bn: zoo.vgg19_bn,
  resnet18: zoo.resnet18, resnet34: zoo.resnet34, resnet50: zoo.resnet50, resnet101: zoo.resnet101, resnet152: zoo.resnet152,
} as never;

/**
 * Loads a .safetensors state_dict (torchvision keys and layouts) into `model`, strictly.
 * @throws an Error naming the file when it is unreadable or not safetensors; the nn StateDictError
 *   listing missing/unexpected keys and shape mismatches by name.
 */
export async function loadWeightsFile(model: Module, path: string): Promise<void> {
  loadStateDictFrom(model, await readWeightsFile(path));
}

function loadStateDictFrom(model: Module, file: SafetensorsFile): void {
  const dict: Record<string, { shape: number[]; data: ArrayLike<number> | ArrayLike<bigint> }> = {};
  for (const [k, t] of file.tensors) dict[k] = { shape: t.shape, data: t.data as ArrayLike<number> };
  model.loadStateDict(dict as never, { strict: true });
}

export interface ZooClassifyOptions {
  model: string; weights?: string; backend: string; topk: number;
  /** Classes of the checkpoint's head (default: the metadata `classes` of the file, else 1000). */
  numClasses?: number;
}

/** What a weights file written by `simdnet train --model …` says about its head and input. */
export interface FineTuneMetadata {
  /** Class names (metadata `classes`, a JSON array of strings), or undefined. */
  classes?: string[];
  /** Training input size (metadata `input`: `NHWC [N,S,S,3]`), or undefined. */
  size?: number;
  mean?: [number, number, number];
  std?: [number, number, number];
  /** The model the file was trained as (metadata `model`). */
  model?: string;
}

/**
 * Reads the fine-tuning metadata that `simdnet train --model <zoo model>` writes
 * (src/cli/train_folder.ts): `classes`, `input`, `mean`, `std`, `model`.
 * @throws when `classes` is present but not a JSON array of strings (naming the file).
 */
export function fineTuneMetadata(meta: Record<string, string>, path = 'weights'): FineTuneMetadata {
  const r: FineTuneMetadata = {};
  if (meta.classes !== undefined && meta.classes !== '') {
    let c: unknown;
    try { c = JSON.parse(meta.classes); } catch { c = null; }
    if (!Array.isArray(c) || c.length === 0 || !c.every((x) => typeof x === 'string')) {
      throw new Error(`${path}: metadata 'classes' is not a JSON array of class names: ${meta.classes.slice(0, 200)}`);
    }
    r.classes = c as string[];
  }
  const m = /^NHWC \[N,(\d+),(\d+),3\]/.exec(meta.input ?? '');
  if (m && m[1] === m[2] && +m[1] > 0) r.size = +m[1];
  const triple = (s?: string): [number, number, number] | undefined => {
    try {
      const v = s ? JSON.parse(s) : undefined;
      return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? v as [number, number, number] : undefined;
    } catch { return undefined; }
  };
  r.mean = triple(meta.mean);
  r.std = triple(meta.std);
  if (meta.model) r.model = meta.model;
  return r;
}

/**
 * Classifies each image with a zoo model and prints the top-k classes: ImageNet's 1000, or the
 * classes a `simdnet train --model …` run saved in the file's metadata (`classes`; its head size,
 * input size and mean/std are used too), or `--num-classes N` (printed as `class i`).
 */
export async function classifyWithZoo(images: string[], o: ZooClassifyOptions): Promise<void> {
  const make = ZOO[o.model];
  if (!make) throw new Error(`unknown model '${o.model}' (choose one of lenet5, ${Object.keys(ZOO).join(', ')})`);
  if (!o.weights) throw new Error(`--weights <file.safetensors> is required for ${o.model} (torchvision state_dict keys)`);
  if (images.length === 0) throw new Error('give at least one image file (PNG or JPEG)');
  const file = await readWeightsFile(o.weights);
  const ft = fineTuneMetadata(file.metadata, o.weights);
  if (ft.model && ft.model in ZOO && ft.model !== o.model) {
    throw new Error(`${o.weights} holds ${ft.model} weights (metadata 'model'), not ${o.model}: use --model ${ft.model}`);
  }
  if (ft.classes && o.numClasses !== undefined && o.numClasses !== ft.classes.length) {
    throw new Error(`--num-classes ${o.numClasses} contradicts ${o.weights}, which names ${ft.classes.length} classes in its metadata [${ft.classes.slice(0, 10).join(', ')}${ft.classes.length > 10 ? ', …' : ''}]`);
  }
  const numClasses = o.numClasses ?? ft.classes?.length ?? 1000;
  const labels: readonly string[] = ft.classes ?? (numClasses === 1000 ? zoo.IMAGENET_CLASSES : []);
  const backend = await useBackend(o.backend);
  const model = make({ numClasses, initWeights: false });
  try {
    loadStateDictFrom(model, file);
    model.eval();
    // a fine-tuned file: the training run's validation transform (Resize(size) + CenterCrop(size))
    const pre = ft.classes && ft.size ? { resizeSize: ft.size, cropSize: ft.size, mean: ft.mean, std: ft.std } : {};
    if (ft.classes) {
      console.log(`${o.weights}: ${numClasses} classes from its metadata [${ft.classes.join(', ')}]` +
          (ft.size ? `, input ${ft.size}×${ft.size}` : ''));
    }
    for (const path of images) {
      let img;
      try {
        img = decodeImage(new Uint8Array(await readFile(path)));
      } catch (e) {
        throw new Error(`cannot read image ${path}: ${(e as Error).message}`);
      }
      const t0 = performance.now();
      const logits = tf.tidy(() => {
        const x = zoo.preprocessImagenet(img, pre);
        return model.forward(x as never) as unknown as tf.Tensor;
      });
      const top = zoo.topK(logits, o.topk, labels)[0];
      const ms = performance.now() - t0;
      logits.dispose();
      console.log(`${path} (${o.model} on ${backend}, ${ms.toFixed(0)} ms):`);
      for (const e of top) console.log(`  ${(100 * e.probability).toFixed(2).padStart(6)}%  ${e.label} (${e.index})`);
    }
  } finally {
    model.dispose();
  }
}
