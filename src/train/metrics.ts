/**
 * Accuracy helpers.
 */
import * as tf from '@tensorflow/tfjs-core';

function checkShapes(scores: tf.Tensor, labels: tf.Tensor, fn: string): void {
  if (scores.rank !== 2 || labels.rank !== 1 || labels.shape[0] !== scores.shape[0]) {
    throw new Error(`${fn}: expected scores [N, C] and labels [N], got [${scores.shape.join(', ')}] and [${labels.shape.join(', ')}]`);
  }
}

/**
 * Number of examples whose argmax over classes equals the label, as an int32 scalar tensor
 * (no device sync; the caller disposes it).
 * @param scores [N, C] logits or probabilities (argmax is the same)
 * @param labels [N] class indices
 */
export function countCorrect(scores: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  checkShapes(scores, labels, 'countCorrect');
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(scores, 1), tf.cast(labels, 'int32')), 'int32')) as tf.Scalar);
}

/**
 * The chapter's calculate_accuracy(y_pred, y): fraction of examples with argmax(scores) == label.
 * @param scores [N, C] logits or probabilities
 * @param labels [N] class indices (int32 or float)
 * @returns accuracy in [0, 1] (NaN for N = 0). Reads the result synchronously (dataSync).
 * @throws on shape mismatch.
 */
export function calculateAccuracy(scores: tf.Tensor, labels: tf.Tensor): number {
  checkShapes(scores, labels, 'calculateAccuracy');
  const c = countCorrect(scores, labels);
  const correct = c.dataSync()[0];
  c.dispose();
  return correct / labels.shape[0];
}
