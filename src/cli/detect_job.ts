/**
 * `simdnet detect --model fasterrcnn_resnet50_fpn --weights <file.safetensors> <image> --out boxes.png`:
 * object detection with a torchvision-keyed Faster R-CNN (strict load; torchvision's pretrained
 * checkpoints, which have no `num_batches_tracked`, load too), torchvision's own preprocessing
 * inside the model (GeneralizedRCNNTransform: ImageNet normalization, shorter side to --min-size),
 * detections above --score-threshold printed (score, name, label, box) and optionally drawn into a PNG.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fasterrcnn_resnet50_fpn, type FasterRCNN, type FasterRCNNOptions } from '../models/faster_rcnn';
import { COCO_CATEGORY_NAMES, detectAsync, drawBoxesPng, type DetectedObject } from '../models/detect';
import { decodeImage } from '../io/image';
import { useBackend } from './backends';
import { checkWritable, readWeightsFile } from './files';

/** Detection factories the CLI can build, by torchvision name. */
export const DET_ZOO: Record<string, (o: FasterRCNNOptions) => FasterRCNN> = { fasterrcnn_resnet50_fpn };

export interface DetectJobOptions {
  model: string;
  weights?: string;
  /** Where to write the image with the boxes drawn (PNG). */
  out?: string;
  backend: string;
  /** Keep detections with score >= this (default 0.5). */
  scoreThreshold?: number;
  /** Shorter side the model resizes to (torchvision: 800). */
  minSize?: number;
  /** Longer side limit (torchvision: 1333). */
  maxSize?: number;
  /** Classes of the checkpoint, background included (default 91, COCO). */
  numClasses?: number;
}

/**
 * Detects objects in `image` and prints one line per detection (`  0.987  person (1)  [x1, y1, x2, y2]`),
 * best first. Returns the detections.
 * @throws for an unknown model, a missing --weights, a --score-threshold outside [0, 1], an --out
 *   that cannot be written (checked first), an unreadable image or weights file (naming it), or a weights file whose
 *   keys/shapes differ from the model's (StateDictError naming them).
 */
export async function detectImageFile(image: string, o: DetectJobOptions): Promise<DetectedObject[]> {
  const make = DET_ZOO[o.model];
  if (!make) throw new Error(`unknown detection model '${o.model}' (choose one of ${Object.keys(DET_ZOO).join(', ')})`);
  if (!o.weights) throw new Error(`--weights <file.safetensors> is required for ${o.model} (torchvision state_dict keys)`);
  if (!image) throw new Error('give an image file (PNG or JPEG)');
  const thr = o.scoreThreshold ?? 0.5;
  if (!(thr >= 0 && thr <= 1)) throw new Error(`--score-threshold must be a number in [0, 1], got ${o.scoreThreshold}`);
  if (o.out) checkWritable(o.out, '--out');
  const backend = await useBackend(o.backend);
  const file = await readWeightsFile(o.weights);
  const model = make({ numClasses: o.numClasses ?? 91, minSize: o.minSize, maxSize: o.maxSize });
  try {
    model.loadStateDict(file.tensors as never, { strict: true });
    model.eval();
    let img;
    try {
      img = decodeImage(new Uint8Array(await readFile(image)));
    } catch (e) {
      throw new Error(`cannot read image ${image}: ${(e as Error).message}`);
    }
    const [h, w] = model.transform.resizedSize([img.height, img.width]);
    const t0 = performance.now();
    const dets = await detectAsync(model, img, { scoreThreshold: thr, names: COCO_CATEGORY_NAMES });
    const ms = performance.now() - t0;
    console.log(`${image} (${o.model} on ${backend}, ${img.width}x${img.height} resized to ${w}x${h}, ${ms.toFixed(0)} ms): ${dets.length} detections`);
    for (const d of dets) {
      console.log(`  ${d.score.toFixed(3)}  ${d.name} (${d.label})  [${d.box.map((v) => v.toFixed(1)).join(', ')}]`);
    }
    if (o.out) {
      await writeFile(o.out, drawBoxesPng(img, dets));
      console.log(`boxes written to ${o.out}`);
    }
    return dets;
  } finally {
    model.dispose();
  }
}
