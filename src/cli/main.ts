/**
 * The simdnet command line (commander). `npm start` runs `classify` with its defaults.
 *   simdnet classify [--backend simd] [--compare cpu] [--weights f] [--data dir] [--image f…]
 *   simdnet train    [--data /usr/share/datasets/fashion-mnist] [--epochs 20] [--out f] …
 */
import { Command } from 'commander';
import { classifyFashion, DEFAULT_WEIGHTS } from './lenet_job';
import { trainLenet } from './train_lenet';

const program = new Command('simdnet').description('classic CNNs on WebAssembly SIMD (TensorFlow.js backend "simd")');

program.command('classify')
  .description('LeNet-5 classifies Fashion-MNIST (the embedded 1,000-image sample by default)')
  .option('--backend <name>', 'backend to run on: simd, cpu, webgl', 'simd')
  .option('--compare <name>', 'also run on this backend and compare (use "none" to skip)', 'cpu')
  .option('--weights <file>', 'LeNet-5 weights (.safetensors, PyTorch keys)', DEFAULT_WEIGHTS)
  .option('--data <dir>', 'classify the full test split of this Fashion-MNIST IDX directory')
  .option('--image <files...>', 'classify your own PNG/JPEG pictures')
  .action(async o => classifyFashion({ ...o, compare: o.compare === 'none' ? undefined : o.compare }));

program.command('train')
  .description('train LeNet-5 on Fashion-MNIST (60k train images, 5k held out for validation)')
  .option('--data <dir>', 'Fashion-MNIST IDX directory', '/usr/share/datasets/fashion-mnist')
  .option('--out <file>', 'where to save the best weights', 'lenet5-fashion-mnist.safetensors')
  .option('--backend <name>', 'backend', 'simd')
  .option('--epochs <n>', 'epochs', v => parseInt(v, 10), 20)
  .option('--batch-size <n>', 'batch size', v => parseInt(v, 10), 64)
  .option('--lr <x>', 'initial learning rate (cosine decay to 0)', parseFloat, 0.02)
  .option('--momentum <x>', 'SGD momentum', parseFloat, 0.9)
  .option('--val <n>', 'training images held out for validation', v => parseInt(v, 10), 5000)
  .option('--seed <n>', 'seed for init, split, shuffling, augmentation', v => parseInt(v, 10), 0)
  .option('--no-augment', 'no random horizontal flips')
  .option('--limit <n>', 'use only n training images (quick runs, timing)', v => parseInt(v, 10))
  .option('--progress', 'force the progress bar')
  .action(async o => { await trainLenet(o); });

program.parseAsync(process.argv).catch(e => {
  console.error(`simdnet: ${(e as Error).message}`);
  process.exit(1);
});
