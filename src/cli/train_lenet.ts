/**
 * `npm run train -- --data <idx dir>`: trains LeNet-5 on Fashion-MNIST with the chapter's
 * workflow (trainModel: train/val phases, momentum SGD, cross-entropy, best-val checkpoint),
 * then evaluates on the test split and saves the weights (PyTorch keys, .safetensors) with the
 * training record in the file's metadata.
 */
import * as tf from '@tensorflow/tfjs-core';
import { lenet5 } from '../models/lenet';
import { loadFashionMnist } from '../io/idx';
import { serializeSafetensors } from '../io/safetensors';
import { mnistBatches, trainValSplit, FASHION_MNIST_MEAN, FASHION_MNIST_STD } from '../data/fashion_mnist';
import { trainModel, crossEntropyLoss, evaluate } from '../train/index';
import { useBackend } from './backends';
import { writeFileAtomic } from './files';

export interface TrainLenetOptions {
  data: string; out: string; backend: string; epochs: number; batchSize: number; lr: number;
  momentum: number; val: number; seed: number; augment: boolean; limit?: number; progress?: boolean;
}

/** Trains, evaluates and saves; returns the test accuracy. */
export async function trainLenet(o: TrainLenetOptions): Promise<number> {
  const backend = await useBackend(o.backend);
  const train = await loadFashionMnist(o.data, 'train');
  const test = await loadFashionMnist(o.data, 'test');
  let { train: trIdx, val: vaIdx } = trainValSplit(train.n, o.val, o.seed);
  if (o.limit) { trIdx = trIdx.slice(0, o.limit); vaIdx = vaIdx.slice(0, Math.min(vaIdx.length, Math.ceil(o.limit / 10))); }
  console.log(`training LeNet-5 on ${backend}: ${trIdx.length} train / ${vaIdx.length} val images, ` +
      `${o.epochs} epochs, batch ${o.batchSize}, SGD lr ${o.lr} (cosine) momentum ${o.momentum}, augment ${o.augment}`);
  const model = lenet5({ seed: o.seed });
  const optimizer = tf.train.momentum(o.lr, o.momentum);
  let epoch = 0;
  const epochTimes: number[] = [];
  let t0 = performance.now();
  const result = await trainModel(model, {
    train: mnistBatches(train, trIdx, { batchSize: o.batchSize, shuffle: true, augment: o.augment, seed: o.seed }),
    val: mnistBatches(train, vaIdx, { batchSize: 256 }),
  }, crossEntropyLoss, optimizer, o.epochs, {
    progress: o.progress,
    scheduler: { step() { epoch++; optimizer.setLearningRate(0.5 * o.lr * (1 + Math.cos(Math.PI * epoch / o.epochs))); } },
    onEpoch() { const t = performance.now(); epochTimes.push((t - t0) / 1000); t0 = t; },
  });
  const testRes = await evaluate(model, mnistBatches(test, Int32Array.from({ length: test.n }, (_, i) => i), { batchSize: 256 }));
  console.log(`test accuracy ${testRes.accuracy.toFixed(4)} on ${test.n} images; ` +
      `seconds per epoch (train+val): ${epochTimes.map(t => t.toFixed(1)).join(', ')}`);
  const sd = model.stateDict();
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of Object.entries(sd)) tensors[k] = { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array };
  tf.dispose(Object.values(sd));
  await writeFileAtomic(o.out, serializeSafetensors(tensors, {
    model: 'lenet5', dataset: 'Fashion-MNIST', input: 'NHWC [N,28,28,1], (x/255 - mean)/std',
    mean: String(FASHION_MNIST_MEAN), std: String(FASHION_MNIST_STD), epochs: String(o.epochs),
    best_val_accuracy: result.bestAcc.toFixed(4), best_epoch: String(result.bestEpoch),
    test_accuracy: testRes.accuracy.toFixed(4), backend, seconds_per_epoch: epochTimes.map(t => t.toFixed(1)).join(','),
    recipe: `SGD lr ${o.lr} cosine, momentum ${o.momentum}, batch ${o.batchSize}, hflip ${o.augment}, seed ${o.seed}`,
  }));
  console.log(`saved ${o.out}`);
  model.dispose();
  optimizer.dispose();
  return testRes.accuracy;
}
