/**
 * trainModel: the chapter's PyTorch `train_model` loop on tfjs-core, for any backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AnyModule, StateDict } from '../nn/module.js';
import { disposeStateDict } from '../nn/module.js';
import type { Batch, Batches } from './batches.js';
import { countCorrect } from './metrics.js';
import { assertGradientsRegistered } from './gradients.js';
import { type ProgressBar, createCliProgressBar, isInteractiveTerminal } from './progress.js';

/**
 * A loss: (logits [N, C], labels [N]) -> scalar tensor (mean over the batch, as PyTorch's
 * default reduction; the epoch loss weights it by batch size). E.g. `crossEntropyLoss`.
 */
export type Criterion = (logits: tf.Tensor, labels: tf.Tensor) => tf.Tensor;

/** A model trainModel can drive: a Module mapping NHWC images to logits [N, C]. */
export type ClassifierModule = AnyModule;

export type Phase = 'train' | 'val';

/** Per-phase epoch statistics. */
export interface PhaseStats {
  /** Mean loss per example over the phase (running_loss / dataset size in the chapter). */
  loss: number;
  /** Fraction of correctly classified examples, in [0, 1]. */
  acc: number;
  /** Examples seen in the phase. */
  numExamples: number;
  /** Wall time of the phase, seconds. */
  seconds: number;
}

export interface EpochRecord {
  /** 0-based epoch index. */
  epoch: number;
  train: PhaseStats;
  val: PhaseStats;
}

/** Passed to `onBatch` after every batch. */
export interface BatchInfo {
  epoch: number;
  numEpochs: number;
  phase: Phase;
  /** 0-based index of the batch within the phase. */
  batch: number;
  /** `Batches.length` of the phase's stream. */
  numBatches: number;
  batchSize: number;
  /** This batch's loss. */
  loss: number;
  /** Running mean loss per example in this phase so far. */
  runningLoss: number;
  /** Running accuracy in this phase so far. */
  runningAcc: number;
}

export interface TrainOptions {
  /** Called once after every train phase (PyTorch's `scheduler.step()`). */
  scheduler?: { step(): void };
  /** Terminal progress bar (cli-progress). Default: only when stdout is a TTY and not on CI. */
  progress?: boolean;
  /** Print the chapter's per-epoch lines and summary. Default true. */
  verbose?: boolean;
  /** Where printed lines go. Default console.log. */
  log?: (line: string) => void;
  /** Hook after every batch (may be async, e.g. `await tf.nextFrame()` to keep a page responsive). */
  onBatch?: (info: BatchInfo) => void | Promise<void>;
  /** Hook after every epoch (both phases), before the next one starts. */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /** Dispose each batch's x and y after use (default true; see `Batches`). */
  disposeBatches?: boolean;
}

export interface TrainResult {
  /** One record per epoch. */
  history: EpochRecord[];
  /** Best validation accuracy seen (0 if it never exceeded 0). */
  bestAcc: number;
  /** Epoch of the best validation accuracy, -1 if none exceeded 0 (initial weights restored). */
  bestEpoch: number;
  /** Total wall time, seconds. */
  elapsedSeconds: number;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Python's `f'{t // 60:.0f}m {t % 60:.0f}s'`. */
export function formatElapsed(seconds: number): string {
  return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
}

function disposeBatch(b: Batch): void {
  tf.dispose([b.x, b.y]);
}

/**
 * Runs one phase over `batches`; returns its statistics. In 'train' the optimizer updates
 * `varList` after every batch.
 */
async function runPhase(
  model: ClassifierModule,
  batches: Batches,
  phase: Phase,
  criterion: Criterion,
  optimizer: tf.Optimizer | null,
  varList: tf.Variable[],
  epoch: number,
  numEpochs: number,
  opts: TrainOptions,
  bar: ProgressBar | null,
): Promise<PhaseStats> {
  const t0 = now();
  const disposeBatches = opts.disposeBatches ?? true;
  let runningLoss = 0;
  let runningCorrects = 0;
  let seen = 0;
  let index = 0;
  bar?.start(batches.length, { phase, epoch });
  try {
    for await (const batch of batches as AsyncIterable<Batch>) {
      const { x, y } = batch;
      const bs = x.shape[0];
      let lossT: tf.Tensor;
      let correctT: tf.Tensor;
      try {
        if (phase === 'train') {
          const kept: { correct?: tf.Tensor } = {};
          const cost = optimizer!.minimize(
            () => {
              const logits = model.call(x) as tf.Tensor;
              const loss = criterion(logits, y) as tf.Scalar;
              kept.correct = tf.keep(countCorrect(logits, y));
              return loss;
            },
            true,
            varList,
          );
          lossT = cost as tf.Tensor;
          correctT = kept.correct!;
        } else {
          [lossT, correctT] = tf.tidy(() => {
            const logits = model.call(x) as tf.Tensor;
            return [criterion(logits, y), countCorrect(logits, y)];
          });
        }
      } finally {
        if (disposeBatches) disposeBatch(batch);
      }
      const [lv, cv] = await Promise.all([lossT.data(), correctT.data()]);
      tf.dispose([lossT, correctT]);
      runningLoss += lv[0] * bs;
      runningCorrects += cv[0];
      seen += bs;
      const info: BatchInfo = {
        epoch,
        numEpochs,
        phase,
        batch: index,
        numBatches: batches.length,
        batchSize: bs,
        loss: lv[0],
        runningLoss: runningLoss / seen,
        runningAcc: runningCorrects / seen,
      };
      index++;
      bar?.update(index, { loss: info.runningLoss, acc: info.runningAcc });
      if (opts.onBatch) await opts.onBatch(info);
    }
  } finally {
    bar?.stop();
  }
  return {
    loss: seen ? runningLoss / seen : NaN,
    acc: seen ? runningCorrects / seen : NaN,
    numExamples: seen,
    seconds: (now() - t0) / 1000,
  };
}

/**
 * The chapter's `train_model(model, criterion, optimizer, num_epochs)` (from the torchvision
 * transfer-learning tutorial pattern): for every epoch a 'train' phase (`model.train()`, one
 * optimizer step per batch) and a 'val' phase (`model.eval()`, no updates), printing
 * `train Loss: 0.6931 Acc: 0.5000` lines; the weights with the best validation accuracy (strictly
 * greater, starting from 0 with a copy of the initial weights) are kept as a state-dict copy and
 * loaded back at the end; prints "Training complete in Xm Ys" and "Best val Acc: 0.xxxx".
 *
 * The optimizer is any tfjs optimizer, e.g. momentum SGD `tf.train.momentum(0.001, 0.9)`
 * (same update as torch.optim.SGD(momentum=0.9) without dampening/weight decay). Each step is
 * `optimizer.minimize(() => loss, true, model.trainableParameters())` (returnCost true only to
 * read the batch loss), so frozen parameters (`requiresGrad = false`) are never updated. The
 * trainable set is taken once, at the start.
 *
 * @param model classifier Module, NHWC images -> logits [N, C]; left in eval mode with the best
 *   weights loaded
 * @param dataloaders `train` and `val` batch streams of {x: NHWC float32, y: int32 [B]}
 * @param criterion loss, e.g. `crossEntropyLoss`
 * @param optimizer a tfjs optimizer
 * @param numEpochs number of epochs (>= 0)
 * @param options progress bar, logging, hooks, scheduler, batch disposal
 * @returns the history and best validation accuracy
 * @throws if tfjs-core gradients are not registered, the model has no trainable parameter, or a
 *   step fails (e.g. criterion not returning a scalar)
 */
export async function trainModel(
  model: ClassifierModule,
  dataloaders: { train: Batches; val: Batches },
  criterion: Criterion,
  optimizer: tf.Optimizer,
  numEpochs: number,
  options: TrainOptions = {},
): Promise<TrainResult> {
  assertGradientsRegistered();
  if (!Number.isInteger(numEpochs) || numEpochs < 0) throw new Error(`trainModel: numEpochs must be a non-negative integer, got ${numEpochs}`);
  const varList = model.trainableParameters();
  if (varList.length === 0) throw new Error('trainModel: the model has no trainable parameters (all requiresGrad = false).');
  const verbose = options.verbose ?? true;
  const log = options.log ?? ((s: string) => console.log(s));
  const print = (s: string) => verbose && log(s);
  const useBar = options.progress ?? isInteractiveTerminal();
  const bar = useBar ? await createCliProgressBar() : null;

  const since = now();
  let best: StateDict = model.stateDict();
  let bestAcc = 0;
  let bestEpoch = -1;
  const history: EpochRecord[] = [];
  try {
    for (let epoch = 0; epoch < numEpochs; epoch++) {
      print(`Epoch ${epoch}/${numEpochs - 1}`);
      print('-'.repeat(10));
      const stats = {} as Record<Phase, PhaseStats>;
      for (const phase of ['train', 'val'] as const) {
        if (phase === 'train') model.train();
        else model.eval();
        const s = await runPhase(
          model,
          dataloaders[phase],
          phase,
          criterion,
          phase === 'train' ? optimizer : null,
          varList,
          epoch,
          numEpochs,
          options,
          bar,
        );
        if (phase === 'train') options.scheduler?.step();
        stats[phase] = s;
        print(`${phase} Loss: ${s.loss.toFixed(4)} Acc: ${s.acc.toFixed(4)}`);
        if (phase === 'val' && s.acc > bestAcc) {
          bestAcc = s.acc;
          bestEpoch = epoch;
          disposeStateDict(best);
          best = model.stateDict();
        }
      }
      const record: EpochRecord = { epoch, train: stats.train, val: stats.val };
      history.push(record);
      print('');
      if (options.onEpoch) await options.onEpoch(record);
    }
    const elapsedSeconds = (now() - since) / 1000;
    print(`Training complete in ${formatElapsed(elapsedSeconds)}`);
    print(`Best val Acc: ${bestAcc.toFixed(4)}`);
    model.loadStateDict(best);
    model.eval();
    return { history, bestAcc, bestEpoch, elapsedSeconds };
  } finally {
    disposeStateDict(best);
  }
}
