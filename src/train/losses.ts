/**
 * Losses with PyTorch semantics.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface CrossEntropyOptions {
  /** 'mean' (default, PyTorch's), 'sum', or 'none' (per-example losses [N]). */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * torch.nn.CrossEntropyLoss / F.cross_entropy: for each example, -log softmax(logits)[label],
 * averaged over the batch by default. Computed stably with `tf.logSoftmax` (max-subtracted
 * log-sum-exp), so large logits do not overflow.
 *
 * @param logits [N, C] unnormalised scores (float32)
 * @param labels [N] class indices in [0, C) (int32; floats are cast), or [N, C] class
 *   probabilities (soft targets, as PyTorch also accepts)
 * @returns a scalar (reduction 'mean' | 'sum') or [N] ('none'), in nats
 * @throws if logits is not rank 2, or labels' shape does not fit. Out-of-range class indices are
 *   NOT detected (tf.oneHot yields a zero row, i.e. that example contributes 0), since checking
 *   would force a device sync.
 */
export function crossEntropyLoss(logits: tf.Tensor, labels: tf.Tensor, opts: CrossEntropyOptions = {}): tf.Tensor {
  const reduction = opts.reduction ?? 'mean';
  if (logits.rank !== 2) throw new Error(`crossEntropyLoss: logits must be [N, C], got [${logits.shape.join(', ')}]`);
  const [n, c] = logits.shape;
  const soft = labels.rank === 2;
  if (soft ? labels.shape[0] !== n || labels.shape[1] !== c : labels.rank !== 1 || labels.shape[0] !== n) {
    throw new Error(
      `crossEntropyLoss: labels must be [N] class indices or [N, C] probabilities for logits [${n}, ${c}], got [${labels.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const target = soft ? tf.cast(labels, 'float32') : tf.oneHot(tf.cast(labels, 'int32'), c);
    const perExample = tf.neg(tf.sum(tf.mul(logp, target), 1));
    if (reduction === 'none') return perExample;
    return reduction === 'sum' ? tf.sum(perExample) : tf.mean(perExample);
  });
}
