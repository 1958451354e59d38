/**
 * `simdnet train --model resnet18 --data <dir> [--pretrained f|url] [--freeze] --epochs N
 * [--out best.safetensors]`: the chapter's transfer-learning / fine-tuning job on an image folder
 * laid out like hymenoptera_data (`<dir>/train/<class>/*.jpg`, `<dir>/val/<class>/*.jpg`):
 * ImageFolder + the chapter's ImageTransform (RandomResizedCrop(size, scale 0.5–1) + flip for
 * train, Resize + CenterCrop for val, ImageNet mean/std), DataLoaders with prefetch, a zoo model
 * with pretrained weights (all but the head), the head replaced by Linear(·, #classes), optionally
 * the rest frozen, then trainModel (per-phase loss/accuracy lines, progress bars on a TTY) and the
 * best weights saved as .safetensors with PyTorch keys (classes in the metadata).
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Linear } from '../nn/linear';
import { withSeed } from '../nn/init';
import type { Module } from '../nn/module';
import { IMAGENET_MEAN, IMAGENET_STD } from '../models/imagenet';
import { DataLoader, ImageFolder } from '../data/index';
import { ImageTransform } from '../transforms/index';
import { crossEntropyLoss, freeze, loadPretrained, replaceHead, stateDictToSafetensors, trainModel } from '../train/index';
import { useBackend } from './backends';
import { ZOO } from './zoo_job';
import { checkWritable, someKeys, writeFileAtomic } from './files';

export interface TrainFolderOptions {
  model: string;
  data: string;
  pretrained?: string;
  sha256?: string;
  freeze?: boolean;
  /** Default FINE_TUNE_DEFAULTS.epochs (2). */
  epochs?: number;
  /** Default `<model>-finetuned.safetensors` in the working directory. */
  out?: string;
  backend: string;
  /** Default FINE_TUNE_DEFAULTS.batchSize (32). */
  batchSize?: number;
  /** Default FINE_TUNE_DEFAULTS.lr (0.001). */
  lr?: number;
  /** Default FINE_TUNE_DEFAULTS.momentum (0.9). */
  momentum?: number;
  size: number;
  seed: number;
  progress?: boolean;
  /** Decode workers per DataLoader (0: decode on the main thread). */
  workers?: number;
}

/** The chapter's fine-tuning defaults (`simdnet train --model <zoo model>`; LeNet-5 has its own). */
export const FINE_TUNE_DEFAULTS = { epochs: 2, batchSize: 32, lr: 0.001, momentum: 0.9 } as const;

/** State-dict key prefix of the classifier head ('fc.' or 'classifier.N.'). */
function headPrefix(model: Module): string {
  const m = model as unknown as Record<string, unknown>;
  if (m.fc instanceof Linear) return 'fc.';
  const cls = m.classifier as Record<string, unknown> | undefined;
  if (cls) {
    const keys = Object.keys(cls).filter((k) => /^\d+$/.test(k) && cls[k] instanceof Linear);
    if (keys.length) return `classifier.${keys[keys.length - 1]}.`;
  }
  throw new Error(`${model.constructor.name} has no replaceable Linear head`);
}

/**
 * Runs the fine-tuning job; returns the best validation accuracy. Options left undefined take
 * FINE_TUNE_DEFAULTS (and `<model>-finetuned.safetensors` for `out`).
 * @throws for an unknown model, a missing --data or train/ or val/ folder, fewer than 2 classes,
 *   an --out that cannot be written, unreadable/mismatched weights.
 */
export async function trainFolder(o: TrainFolderOptions): Promise<number> {
  const epochs = o.epochs ?? FINE_TUNE_DEFAULTS.epochs;
  const batchSize = o.batchSize ?? FINE_TUNE_DEFAULTS.batchSize;
  const lr = o.lr ?? FINE_TUNE_DEFAULTS.lr;
  const momentum = o.momentum ?? FINE_TUNE_DEFAULTS.momentum;
  const out = o.out ?? `${o.model}-finetuned.safetensors`;
  const make = ZOO[o.model];
  if (!make) throw new Error(`unknown model '${o.model}' (choose one of lenet5, ${Object.keys(ZOO).join(', ')})`);
  if (!o.data) throw new Error('--data <dir> (with train/<class>/ and val/<class>/ image folders) is required with --model');
  for (const phase of ['train', 'val']) {
    const dir = join(o.data, phase);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new Error(`--data ${o.data}: no ${phase}/ folder (expected ${join(o.data, 'train', '<class>', '*.jpg')} and ${join(o.data, 'val', '<class>', '*.jpg')})`);
    }
  }
  checkWritable(out, '--out');
  if (o.freeze && !o.pretrained) {
    console.warn(`warning: --freeze without --pretrained: the frozen ${o.model} trunk is randomly initialised, ` +
        'only the new head will learn (give --pretrained <file|url> to fine-tune pretrained features)');
  }
  const backend = await useBackend(o.backend);

  const transform = new ImageTransform(o.size, IMAGENET_MEAN, IMAGENET_STD);
  const trainSet = new ImageFolder(join(o.data, 'train'), transform.forPhase('train'));
  if (trainSet.classes.length < 2) {
    throw new Error(`--data ${o.data}: found ${trainSet.classes.length} class folder in ${join(o.data, 'train')} ` +
        `[${trainSet.classes.join(', ')}]; a classifier needs at least 2 (one folder of images per class)`);
  }
  const valSet = new ImageFolder(join(o.data, 'val'), transform.forPhase('val'));
  if (valSet.classes.join('\n') !== trainSet.classes.join('\n')) {
    throw new Error(`train classes [${trainSet.classes}] differ from val classes [${valSet.classes}]`);
  }
  const classes = trainSet.classes;

  // --seed also seeds the weights that are not loaded (the trunk without --pretrained, the new
  // head), so that a run is repeatable (as torch.manual_seed before building the model).
  const model = withSeed(o.seed, () => make({ initWeights: !o.pretrained }));
  const head = headPrefix(model);
  if (o.pretrained) {
    const r = await loadPretrained(model, o.pretrained, { sha256: o.sha256, strict: false, exclude: (k) => k.startsWith(head) });
    const missing = r.missingKeys.filter((k) => !k.startsWith(head));
    if (missing.length || r.unexpectedKeys.length) {
      throw new Error(`${o.pretrained} does not fit ${o.model}: ${missing.length} missing key(s) ${someKeys(missing) || '-'}; ` +
          `${r.unexpectedKeys.length} unexpected key(s) ${someKeys(r.unexpectedKeys) || '-'}`);
    }
    console.log(`loaded pretrained weights ${r.path} (sha256 ${r.sha256.slice(0, 12)}…${r.cached ? ', cached' : ''}), head ${head.slice(0, -1)} replaced`);
  }
  if (o.freeze) freeze(model);
  withSeed(o.seed + 1, () => replaceHead(model, classes.length));
  console.log(`fine-tuning ${o.model} on ${backend}: ${trainSet.length} train / ${valSet.length} val images, ` +
      `classes [${classes.join(', ')}], input ${o.size}×${o.size}, ${epochs} epochs, batch ${batchSize}, ` +
      `SGD lr ${lr} momentum ${momentum}, ${o.freeze ? 'trunk frozen' : 'all layers trained'} ` +
      `(${model.numParameters(true).toLocaleString('en-US')} trainable parameters)`);

  const workers = o.workers ?? 0;
  const train = new DataLoader(trainSet, { batchSize, shuffle: true, seed: o.seed, workers });
  const val = new DataLoader(valSet, { batchSize, workers });
  const optimizer = tf.train.momentum(lr, momentum);
  const result = await trainModel(model, { train, val }, crossEntropyLoss, optimizer, epochs, { progress: o.progress || undefined });
  const trainImages = result.history.reduce((a, h) => a + h.train.numExamples, 0);
  const trainSeconds = result.history.reduce((a, h) => a + h.train.seconds, 0);
  console.log(`training throughput ${(trainImages / Math.max(trainSeconds, 1e-9)).toFixed(1)} images/s (incl. loading)`);
  train.close();
  val.close();
  await writeFileAtomic(out, stateDictToSafetensors(model, {
    model: o.model, classes: JSON.stringify(classes), input: `NHWC [N,${o.size},${o.size},3], (x/255 - mean)/std`,
    mean: JSON.stringify(IMAGENET_MEAN), std: JSON.stringify(IMAGENET_STD), epochs: String(epochs),
    best_val_accuracy: result.bestAcc.toFixed(4), best_epoch: String(result.bestEpoch), backend,
    pretrained: o.pretrained ?? '', frozen: String(!!o.freeze),
  }));
  console.log(`saved ${out} (best val Acc ${result.bestAcc.toFixed(4)}, PyTorch keys)`);
  optimizer.dispose();
  model.dispose();
  return result.bestAcc;
}
