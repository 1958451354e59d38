/**
 * Evaluation and prediction helpers from the chapter: evaluate, get_predictions, and sorting
 * (in)correct predictions by confidence.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AnyModule } from '../nn/module.js';
import type { Batch, Batches } from './batches.js';
import { crossEntropyLoss } from './losses.js';
import { countCorrect } from './metrics.js';
import type { Criterion } from './train.js';

export interface EvaluateOptions {
  /** Default crossEntropyLoss (mean reduction). */
  criterion?: Criterion;
  /** Dispose each batch's x and y after use (default true; see `Batches`). */
  disposeBatches?: boolean;
}

/** Runs `fn` with the model in eval mode, then restores each module's previous mode. */
async function inEvalMode<T>(model: AnyModule, fn: () => Promise<T>): Promise<T> {
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  try {
    return await fn();
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}

/**
 * The chapter's `evaluate(model, iterator, criterion)`: loss and accuracy over all batches, in
 * eval mode (the module's previous train/eval modes are restored afterwards), no weight updates.
 * @param model NHWC images -> logits [N, C]
 * @param batches {x: NHWC float32 [B, H, W, C], y: int32 [B]}
 * @returns loss: mean loss per example (batch losses weighted by batch size); accuracy in [0, 1]
 *   (both NaN if there were no examples)
 */
export async function evaluate(
  model: AnyModule,
  batches: Batches,
  opts: EvaluateOptions = {},
): Promise<{ loss: number; accuracy: number }> {
  const criterion = opts.criterion ?? crossEntropyLoss;
  const disposeBatches = opts.disposeBatches ?? true;
  return inEvalMode(model, async () => {
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for await (const batch of batches as AsyncIterable<Batch>) {
      let res: tf.Tensor[];
      try {
        res = tf.tidy(() => {
          const logits = model.call(batch.x) as tf.Tensor;
          return [criterion(logits, batch.y), countCorrect(logits, batch.y)];
        });
      } finally {
        if (disposeBatches) tf.dispose([batch.x, batch.y]);
      }
      const [l, c] = await Promise.all(res.map((t) => t.data()));
      tf.dispose(res);
      const bs = batch.x.shape[0];
      lossSum += l[0] * bs;
      correct += c[0];
      seen += bs;
    }
    return { loss: seen ? lossSum / seen : NaN, accuracy: seen ? correct / seen : NaN };
  });
}

/** What {@link getPredictions} returns (the caller owns and disposes the three tensors). */
export interface Predictions {
  /** All inputs, concatenated: NHWC [N, H, W, C] float32 (as fed to the model). */
  images: tf.Tensor4D;
  /** True labels [N] int32. */
  labels: tf.Tensor1D;
  /** Softmax probabilities [N, C] float32. */
  probs: tf.Tensor2D;
}

/**
 * The chapter's `get_predictions(model, iterator)`: runs the model in eval mode over every batch
 * and collects the images, the labels and the softmax probabilities (F.softmax(y_pred, dim=-1)).
 * @param model NHWC images -> logits [N, C]
 * @param batches {x: NHWC float32 [B, H, W, C], y: [B]}
 * @param opts.disposeBatches dispose each batch's tensors after copying them (default true)
 * @throws if the stream yields no batch
 */
export async function getPredictions(
  model: AnyModule,
  batches: Batches,
  opts: { disposeBatches?: boolean } = {},
): Promise<Predictions> {
  const disposeBatches = opts.disposeBatches ?? true;
  return inEvalMode(model, async () => {
    const xs: tf.Tensor[] = [];
    const ys: tf.Tensor[] = [];
    const ps: tf.Tensor[] = [];
    try {
      for await (const batch of batches as AsyncIterable<Batch>) {
        try {
          ps.push(tf.tidy(() => tf.softmax(model.call(batch.x) as tf.Tensor)));
          xs.push(disposeBatches ? batch.x : tf.clone(batch.x));
          ys.push(tf.tidy(() => tf.cast(batch.y, 'int32')));
        } finally {
          if (disposeBatches) batch.y.dispose();
        }
      }
      if (xs.length === 0) throw new Error('getPredictions: the batch stream was empty');
      return {
        images: tf.concat(xs as tf.Tensor4D[], 0),
        labels: tf.concat(ys as tf.Tensor1D[], 0),
        probs: tf.concat(ps as tf.Tensor2D[], 0),
      };
    } finally {
      tf.dispose([...xs, ...ys, ...ps]);
    }
  });
}

/** One example selected by {@link sortByConfidence}. */
export interface PredictionExample {
  /** Row in the Predictions tensors. */
  index: number;
  /** True class. */
  label: number;
  /** argmax class. */
  predicted: number;
  /** Probability of the predicted class, in [0, 1]. */
  confidence: number;
  /** The example's class probabilities [C]. */
  probs: Float32Array;
  /** The image, NHWC slice [H, W, C] (a new tensor the caller disposes); absent if withImages=false. */
  image?: tf.Tensor3D;
}

export interface SortByConfidenceOptions {
  /** true: correctly classified examples; false: misclassified ones (the chapter's plot). */
  correct: boolean;
  /** Keep only the first `limit` examples. */
  limit?: number;
  /** Attach an image tensor to each returned example (default true). */
  withImages?: boolean;
}

/**
 * The chapter's selection of (in)correct examples sorted by confidence: keeps the examples whose
 * argmax(probs) does (correct: true) or does not (correct: false) equal the label, sorted by the
 * predicted class' probability, descending (ties: lower index first). Reads probs/labels
 * synchronously (dataSync).
 * @param preds from {@link getPredictions} (not disposed here)
 */
export function sortByConfidence(preds: Predictions, opts: SortByConfidenceOptions): PredictionExample[] {
  const [n, c] = preds.probs.shape;
  const probs = preds.probs.dataSync() as Float32Array;
  const labels = preds.labels.dataSync();
  const out: PredictionExample[] = [];
  for (let i = 0; i < n; i++) {
    const row = probs.slice(i * c, (i + 1) * c);
    let predicted = 0;
    for (let k = 1; k < c; k++) if (row[k] > row[predicted]) predicted = k;
    const label = labels[i];
    if ((predicted === label) !== opts.correct) continue;
    out.push({ index: i, label, predicted, confidence: row[predicted], probs: row });
  }
  out.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  const sel = opts.limit != null ? out.slice(0, Math.max(0, opts.limit)) : out;
  if (opts.withImages ?? true) {
    for (const e of sel) {
      e.image = tf.tidy(() => tf.squeeze(tf.slice(preds.images, [e.index, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D);
    }
  }
  return sel;
}
