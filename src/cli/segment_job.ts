/**
 * `simdnet segment --model deeplabv3_resnet50 --weights <file.safetensors> <image> --out mask.png`:
 * semantic segmentation with a torchvision-keyed FCN / DeepLabV3 (strict load; a checkpoint with
 * `aux_classifier.*` keys, as torchvision's pretrained ones, builds the aux head too), the
 * preprocessing of torchvision's `SemanticSegmentation` preset (Resize(520) of the shorter side,
 * PIL-antialiased bilinear; Normalize with ImageNet's mean/std), argmax, the class map resized
 * back to the image (nearest) and written as a VOC-palette PNG (and optionally an overlay); prints
 * the classes found with their pixel fractions.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as zoo from '../models/index';
import { classFractions, maskRgb, overlayPng, segment, VOC_CLASSES, type SegmentationResult } from '../models/segment';
import { resizeBilinearPil, resizedSize } from '../models/imagenet';
import type { SegmentationModel, SegmentationOptions } from '../models/segmentation';
import { decodeImage, encodePng, type ImageU8 } from '../io/image';
import { useBackend } from './backends';
import { checkWritable, readWeightsFile } from './files';

/** Segmentation factories the CLI can build, by torchvision name. */
export const SEG_ZOO: Record<string, (o: SegmentationOptions) => SegmentationModel | zoo.FCN8s> = {
  fcn_resnet50: zoo.fcn_resnet50, fcn_resnet101: zoo.fcn_resnet101,
  deeplabv3_resnet50: zoo.deeplabv3_resnet50, deeplabv3_resnet101: zoo.deeplabv3_resnet101,
  pspnet_resnet50: zoo.pspnet_resnet50, pspnet_resnet101: zoo.pspnet_resnet101,
  // FCN-8s-VGG16 (src/models/fcn8s.ts keys: features.*, fc6, fc7, score_*, upscore*)
  fcn8s: (o) => zoo.fcn8s({ numClasses: o.numClasses, seed: o.seed }),
};

export interface SegmentJobOptions {
  model: string;
  weights?: string;
  /** Where to write the colour mask PNG (VOC palette), at the image's size. */
  out?: string;
  /** Where to write the image with the mask blended in (alpha 0.5). */
  overlay?: string;
  backend: string;
  /** Shorter side the model sees (torchvision preset: 520); 0 = the image's own size. */
  size?: number;
  /** Classes of the checkpoint (default 21, VOC). */
  numClasses?: number;
}

/** Nearest-neighbour resize of a class map (centres: src = floor((dst + 0.5) · in / out)). */
function resizeClassMap(r: SegmentationResult, width: number, height: number): SegmentationResult {
  if (r.width === width && r.height === height) return r;
  const out = new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(r.height - 1, Math.floor(((y + 0.5) * r.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(r.width - 1, Math.floor(((x + 0.5) * r.width) / width));
      out[y * width + x] = r.classMap[sy * r.width + sx];
    }
  }
  return { classMap: out, width, height };
}

/**
 * Segments `image` and prints one line per class found (`  57.32%  person (15)`), largest first.
 * Returns the class map at the image's size.
 * @throws for an unknown model, a missing --weights, an --out/--overlay path that cannot be written
 *   (checked first), an unreadable image or weights file (naming it), or a weights file whose
 *   keys/shapes differ from the model's (StateDictError naming them).
 */
export async function segmentImageFile(image: string, o: SegmentJobOptions): Promise<SegmentationResult> {
  const make = SEG_ZOO[o.model];
  if (!make) throw new Error(`unknown segmentation model '${o.model}' (choose one of ${Object.keys(SEG_ZOO).join(', ')})`);
  if (!o.weights) throw new Error(`--weights <file.safetensors> is required for ${o.model} (torchvision state_dict keys)`);
  if (!image) throw new Error('give an image file (PNG or JPEG)');
  if (o.out) checkWritable(o.out, '--out');
  if (o.overlay) checkWritable(o.overlay, '--overlay');
  const backend = await useBackend(o.backend);
  const file = await readWeightsFile(o.weights);
  const auxLoss = [...file.tensors.keys()].some((k) => k.startsWith('aux_classifier.'));
  const model = make({ numClasses: o.numClasses ?? 21, auxLoss, initWeights: false });
  try {
    const dict: Record<string, { shape: number[]; data: ArrayLike<number> }> = {};
    for (const [k, t] of file.tensors) dict[k] = { shape: t.shape, data: t.data as ArrayLike<number> };
    model.loadStateDict(dict as never, { strict: true });
    model.eval();
    let img: ImageU8;
    try {
      img = decodeImage(new Uint8Array(await readFile(image)));
    } catch (e) {
      throw new Error(`cannot read image ${image}: ${(e as Error).message}`);
    }
    const size = o.size ?? 520;
    let input: ImageU8 = img;
    if (size > 0) {
      const [w, h] = resizedSize(img.width, img.height, size);
      if (w !== img.width || h !== img.height) input = resizeBilinearPil(img, w, h);
    }
    const t0 = performance.now();
    const res = resizeClassMap(segment(model, input), img.width, img.height);
    const ms = performance.now() - t0;
    console.log(`${image} (${o.model} on ${backend}, ${input.width}x${input.height}, ${ms.toFixed(0)} ms):`);
    for (const c of classFractions(res.classMap, VOC_CLASSES)) {
      console.log(`  ${(100 * c.fraction).toFixed(2).padStart(6)}%  ${c.label} (${c.index})`);
    }
    if (o.out) {
      const m = maskRgb(res);
      await writeFile(o.out, encodePng(m.width, m.height, m.data));
      console.log(`mask written to ${o.out}`);
    }
    if (o.overlay) {
      await writeFile(o.overlay, overlayPng(img, res.classMap, 0.5));
      console.log(`overlay written to ${o.overlay}`);
    }
    return res;
  } finally {
    model.dispose();
  }
}
