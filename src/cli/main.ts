/**
 * The simdnet command line (commander). `npm start` runs `classify` with its defaults.
 *   simdnet classify [--backend simd] [--compare cpu] [--weights f] [--data dir] [--image f…]
 *   simdnet classify --model resnet18 --weights f.safetensors [--num-classes N] image.jpg…
 *   simdnet train    [--data /usr/share/datasets/fashion-mnist] [--epochs 20] [--out f] …
 *   simdnet train    --model resnet18 --data <image folder> [--pretrained f] [--freeze] [--epochs N] [--out f]
 *   simdnet segment  --model deeplabv3_resnet50 --weights f.safetensors image.jpg [--out mask.png] [--overlay f]
 *   simdnet detect   --model fasterrcnn_resnet50_fpn --weights f.safetensors image.jpg [--out boxes.png] [--score-threshold 0.5]
 * Every command also takes --threads <n> (simd backend: n threads, default 1).
 */
import { Command, InvalidArgumentError } from 'commander';
import { classifyFashion, DEFAULT_WEIGHTS } from './lenet_job';
import { trainLenet, type TrainLenetOptions } from './train_lenet';
import { trainFolder, FINE_TUNE_DEFAULTS } from './train_folder';
import { classifyWithZoo, ZOO } from './zoo_job';
import { segmentImageFile, SEG_ZOO } from './segment_job';
import { detectImageFile, DET_ZOO } from './detect_job';
import { checkWritable, cliErrorMessage } from './files';
import { requestThreads } from './backends';

/** `o` without its undefined entries (options not given and without a commander default). */
function definedOnly<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** commander argument parsers that reject what the job cannot use, naming the option. */
const int = (name: string, min: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${v}'`);
  return n;
};
const num = (name: string, min: number) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number >= ${min}, got '${v}'`);
  return n;
};
const inRange = (name: string, min: number, max: number) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got '${v}'`);
  return n;
};

/** The LeNet-5 defaults of `train` (Fashion-MNIST); `--model <zoo model>` uses FINE_TUNE_DEFAULTS instead. */
export const LENET_TRAIN_DEFAULTS = { epochs: 20, batchSize: 64, lr: 0.02, momentum: 0.9, out: 'lenet5-fashion-mnist.safetensors' } as const;

const program = new Command('simdnet').description('classic CNNs on WebAssembly SIMD (TensorFlow.js backend "simd")');

program.command('classify')
  .description('classify images: LeNet-5 on Fashion-MNIST (default: the embedded 1,000-image sample), ' +
      'or an ImageNet zoo model (--model resnet50 --weights f.safetensors image.jpg)')
  .argument('[images...]', 'PNG/JPEG pictures to classify')
  .option('--model <name>', `lenet5 or a zoo model: ${Object.keys(ZOO).join(', ')}`, 'lenet5')
  .option('--backend <name>', 'backend to run on: simd or cpu (webgl is the browser path: see ready())', 'simd')
  .option('--compare <name>', 'LeNet-5: also run on this backend and compare ("none" to skip)', 'cpu')
  .option('--weights <file>', 'weights (.safetensors with PyTorch/torchvision keys); LeNet-5 default: the shipped ones')
  .option('--data <dir>', 'LeNet-5: classify the full test split of this Fashion-MNIST IDX directory')
  .option('--image <files...>', 'LeNet-5: classify your own PNG/JPEG pictures (same as the positional images)')
  .option('--topk <n>', 'zoo models: how many classes to print', int('--topk', 1), 5)
  .option('--num-classes <n>', 'zoo models: classes of the checkpoint\'s head (default: the class names a ' +
      '`simdnet train --model` run saved in the weights file\'s metadata, else 1000 ImageNet classes)', int('--num-classes', 1))
  .action(async (images: string[], o) => {
    if (o.model !== 'lenet5') return classifyWithZoo(images, o);
    const image = [...(o.image ?? []), ...images];
    return classifyFashion({ ...o, weights: o.weights ?? DEFAULT_WEIGHTS, image,
      compare: o.compare === 'none' ? undefined : o.compare });
  });

const FT = FINE_TUNE_DEFAULTS;
program.command('train')
  .description('train LeNet-5 on Fashion-MNIST (60k train images, 5k held out for validation), or with ' +
      '--model <zoo model> --data <image folder> fine-tune a zoo model on train/<class>/ and val/<class>/ images ' +
      '(other defaults: see each option)')
  .option('--data <dir>', 'LeNet-5: Fashion-MNIST IDX directory (default: /usr/share/datasets/fashion-mnist); ' +
      'zoo models (required): folder with train/<class>/ and val/<class>/ images')
  .option('--out <file>', `where to save the best weights (default: LeNet-5 ${LENET_TRAIN_DEFAULTS.out}; ` +
      'zoo models ./<model>-finetuned.safetensors)')
  .option('--backend <name>', 'backend', 'simd')
  .option('--epochs <n>', `epochs (default: LeNet-5 ${LENET_TRAIN_DEFAULTS.epochs}; zoo models ${FT.epochs})`, int('--epochs', 1))
  .option('--batch-size <n>', `batch size (default: LeNet-5 ${LENET_TRAIN_DEFAULTS.batchSize}; zoo models ${FT.batchSize})`, int('--batch-size', 1))
  .option('--lr <x>', `learning rate (default: LeNet-5 ${LENET_TRAIN_DEFAULTS.lr}, cosine decay to 0; zoo models ${FT.lr}, constant)`, num('--lr', 0))
  .option('--momentum <x>', `SGD momentum (default: LeNet-5 ${LENET_TRAIN_DEFAULTS.momentum}; zoo models ${FT.momentum})`, num('--momentum', 0))
  .option('--val <n>', 'LeNet-5: training images held out for validation', int('--val', 1), 5000)
  .option('--seed <n>', 'seed for init, split, shuffling, augmentation', int('--seed', 0), 0)
  .option('--no-augment', 'LeNet-5: no random horizontal flips')
  .option('--limit <n>', 'LeNet-5: use only n training images, and n/10 validation images (quick runs, timing)', int('--limit', 1))
  .option('--progress', 'force the progress bar')
  .option('--model <name>', `lenet5 (Fashion-MNIST) or a zoo model fine-tuned on --data <dir> with train/<class>/ and val/<class>/ images: ${Object.keys(ZOO).join(', ')}`, 'lenet5')
  .option('--pretrained <file|url>', 'zoo models: pretrained weights (.safetensors, PyTorch keys; the head is replaced)')
  .option('--sha256 <hex>', 'zoo models: expected SHA-256 of --pretrained')
  .option('--freeze', 'zoo models: freeze everything but the new head')
  .option('--size <n>', 'zoo models: input crop size', int('--size', 1), 224)
  .option('--workers <n>', 'zoo models: decode workers per DataLoader (0: decode on the main thread)', int('--workers', 0), 0)
  .action(async (o) => {
    if (o.model !== 'lenet5') { await trainFolder(o); return; }
    const out = o.out ?? LENET_TRAIN_DEFAULTS.out;
    checkWritable(out, '--out');
    await trainLenet({ ...LENET_TRAIN_DEFAULTS, data: '/usr/share/datasets/fashion-mnist', ...definedOnly(o), out } as TrainLenetOptions);
  });

program.command('segment')
  .description('semantic segmentation (PASCAL VOC classes) with FCN / DeepLabV3 / PSPNet / FCN-8s and torchvision-keyed weights')
  .argument('<image>', 'PNG/JPEG picture')
  .option('--model <name>', `one of ${Object.keys(SEG_ZOO).join(', ')}`, 'deeplabv3_resnet50')
  .option('--weights <file>', 'weights (.safetensors with torchvision keys; aux_classifier.* keys are accepted)')
  .option('--out <file>', 'write the class mask (VOC palette PNG, image size)')
  .option('--overlay <file>', 'write the image with the mask blended in (PNG)')
  .option('--backend <name>', 'backend to run on: simd or cpu (webgl is the browser path: see ready())', 'simd')
  .option('--size <n>', 'shorter side the model sees (0 = as is)', int('--size', 0), 520)
  .option('--num-classes <n>', 'classes of the checkpoint', int('--num-classes', 1), 21)
  .action(async (image: string, o) => { await segmentImageFile(image, o); });

program.command('detect')
  .description('object detection (COCO categories) with Faster R-CNN and torchvision-keyed weights')
  .argument('<image>', 'PNG/JPEG picture')
  .option('--model <name>', `one of ${Object.keys(DET_ZOO).join(', ')}`, 'fasterrcnn_resnet50_fpn')
  .option('--weights <file>', 'weights (.safetensors with torchvision keys; pretrained checkpoints without num_batches_tracked are accepted)')
  .option('--out <file>', 'write the image with the boxes and labels drawn (PNG)')
  .option('--backend <name>', 'backend to run on: simd or cpu (webgl is the browser path: see ready())', 'simd')
  .option('--score-threshold <x>', 'print/draw detections with at least this score, in [0, 1]', inRange('--score-threshold', 0, 1), 0.5)
  .option('--min-size <n>', 'shorter side the model resizes to (torchvision: 800)', int('--min-size', 1), 800)
  .option('--max-size <n>', 'longer side limit (torchvision: 1333)', int('--max-size', 1), 1333)
  .option('--num-classes <n>', 'classes of the checkpoint, background included', int('--num-classes', 2), 91)
  .action(async (image: string, o) => { await detectImageFile(image, o); });

// --threads on every command: the simd backend's opt-in worker threads, started when the job
// first activates 'simd' (after it has checked its options).
for (const command of program.commands) {
  command.option('--threads <n>', 'simd backend: split the large convolution/GEMM/elementwise calls over n threads ' +
      '(worker_threads on one shared memory; results identical to 1 thread)', int('--threads', 1), 1);
}
program.hook('preAction', (_program, action) => {
  const o = action.opts() as { threads?: number; backend?: string };
  requestThreads(o.threads, o.backend ?? 'simd');
});

program.parseAsync(process.argv).catch(e => {
  console.error(`simdnet: ${cliErrorMessage(e)}`);
  process.exit(1);
});
