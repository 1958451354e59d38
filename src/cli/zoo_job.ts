/**
 * `simdnet classify --model resnet50 --weights <file.safetensors> <image…>`: an ImageNet
 * classifier from the zoo with torchvision-keyed weights (strict load), ImageNet preprocessing
 * (Resize 256 antialiased bilinear, CenterCrop 224, Normalize) and the top-5 classes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import * as zoo from '../models/index';
import type { Module } from '../nn/index';
import { parseSafetensors } from '../io/safetensors';
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
 * @throws the nn StateDictError listing missing/unexpected keys and shape mismatches by name.
 */
export async function loadWeightsFile(model: Module, path: string): Promise<void> {
  const file = parseSafetensors(new Uint8Array(await readFile(path)));
  const dict: Record<string, { shape: number[]; data: ArrayLike<number> | ArrayLike<bigint> }> = {};
  for (const [k, t] of file.tensors) dict[k] = { shape: t.shape, data: t.data as ArrayLike<number> };
  model.loadStateDict(dict as never, { strict: true });
}

export interface ZooClassifyOptions { model: string; weights?: string; backend: string; topk: number; }

/** Classifies each image with a zoo model and prints the top-k ImageNet classes. */
export async function classifyWithZoo(images: string[], o: ZooClassifyOptions): Promise<void> {
  const make = ZOO[o.model];
  if (!make) throw new Error(`unknown model '${o.model}' (choose one of lenet5, ${Object.keys(ZOO).join(', ')})`);
  if (!o.weights) throw new Error(`--weights <file.safetensors> is required for ${o.model} (torchvision state_dict keys)`);
  if (images.length === 0) throw new Error('give at least one image file (PNG or JPEG)');
  const backend = await useBackend(o.backend);
  const model = make({ initWeights: false });
  await loadWeightsFile(model, o.weights);
  model.eval();
  for (const path of images) {
    const img = decodeImage(new Uint8Array(await readFile(path)));
    const t0 = performance.now();
    const logits = tf.tidy(() => {
      const x = zoo.preprocessImagenet(img);
      return model.forward(x as never) as unknown as tf.Tensor;
    });
    const top = zoo.topK(logits, o.topk)[0];
    const ms = performance.now() - t0;
    logits.dispose();
    console.log(`${path} (${o.model} on ${backend}, ${ms.toFixed(0)} ms):`);
    for (const e of top) console.log(`  ${(100 * e.probability).toFixed(2).padStart(6)}%  ${e.label} (${e.index})`);
  }
  model.dispose();
}
