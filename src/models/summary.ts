/**
 * `summary(model, inputSize)`: the table of torchsummary's `summary(model, (3, 224, 224))`
 * (sksq96/pytorch-summary), for simdnet modules.
 *
 * Like torchsummary, every module except the model itself and Sequential / ModuleList containers
 * is hooked (here: its `forward` is wrapped for the duration of one forward pass); each call
 * appends a row `<Class>-<n>` when the module's forward *returns* (so a block's row follows its
 * children's), with its output shape in PyTorch's NCHW order with batch -1, and as "Param #" the
 * sizes of the module's own `weight` and `bias` (so BatchNorm counts γ and β, not its running
 * statistics, and a module called twice is counted twice - torchsummary's rules). Totals:
 * Total / Trainable / Non-trainable params (trainable = the row's weight has requiresGrad), and
 * torchsummary's size estimates in MB (input, forward/backward = 2 × all row outputs, params,
 * total; float32). Added: an estimate of multiply-accumulates for one sample, counting Conv2d
 * (kh·kw·Cin·Cout·Ho·Wo) and Linear (in·out) only.
 *
 * Differences from torchsummary: the forward pass runs in eval mode (BatchNorm uses running
 * statistics - nothing is updated - and Dropout / GoogLeNet's aux heads are off) on one sample
 * of zeros with the model's layers unfused; torchsummary runs the model in its current mode on two
 * random samples (a training-mode GoogLeNet would add its aux rows there).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModuleList, Sequential, withoutFusion, type AnyModule } from '../nn/index.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';

export interface SummaryRow {
  /** torchsummary's key, e.g. `Conv2d-1`. */
  layer: string;
  /** Dotted module name in the model (`layer1.0.conv1`). */
  name: string;
  /** Output shape(s), PyTorch order (NCHW for images), batch -1. */
  outputShape: number[] | number[][];
  params: number;
  trainable: boolean;
  macs: number;
}

export interface SummaryResult {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Multiply-accumulates of Conv2d and Linear layers for one sample. */
  macs: number;
  inputSizeMB: number;
  forwardBackwardMB: number;
  paramsMB: number;
  totalMB: number;
  /** The printed table. */
  text: string;
}

export interface SummaryOptions {
  /** Print the table with console.log (default true), or pass a function to receive it. */
  print?: boolean | ((text: string) => void);
}

const LINE = '-'.repeat(64);
const DLINE = '='.repeat(64);

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function pad(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}

/** Python's str() of a list of ints. */
function pyList(a: number[] | number[][]): string {
  return Array.isArray(a[0]) ? `[${(a as number[][]).map(pyList).join(', ')}]` : `[${(a as number[]).join(', ')}]`;
}

/** NHWC -> NCHW shape order with batch -1. */
function torchShape(t: tf.Tensor): number[] {
  const s = t.shape.slice();
  const out = s.length === 4 ? [s[0], s[3], s[1], s[2]] : s;
  out[0] = -1;
  return out;
}

function outputShapes(out: tf.TensorContainer): number[] | number[][] {
  if (out instanceof tf.Tensor) return torchShape(out);
  const ts: tf.Tensor[] = [];
  const walk = (v: tf.TensorContainer) => {
    if (v instanceof tf.Tensor) ts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v != null && typeof v === 'object') Object.values(v).forEach((u) => walk(u as tf.TensorContainer));
  };
  walk(out);
  return ts.map(torchShape);
}

/**
 * Prints (by default) and returns torchsummary's table for `model` on an input of PyTorch shape
 * `inputSize` = [C, H, W] (e.g. [3, 224, 224]); the model receives NHWC [1, H, W, C].
 * The model's training flags and layers are restored afterwards, also on error.
 * @throws whatever the model's forward throws for that input size.
 */
export function summary(model: AnyModule, inputSize: number[], opts: SummaryOptions = {}): SummaryResult {
  if (!Array.isArray(inputSize) || inputSize.length < 1 || !inputSize.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`summary: inputSize must be a list of positive integers like [3, 224, 224], got ${JSON.stringify(inputSize)}`);
  }
  const rows: SummaryRow[] = [];
  const named = model.namedModules();
  const hooked: AnyModule[] = [];
  const modes = named.map(([, m]) => m.training);
  try {
    for (const [name, m] of named) {
      if (m === model || m instanceof Sequential || m instanceof ModuleList) continue;
      const orig = m.forward;
      Object.defineProperty(m, 'forward', {
        configurable: true, enumerable: false, writable: true,
        value: (input: unknown) => {
          const out = orig.call(m, input);
          const own = m as unknown as { weight?: unknown; bias?: unknown };
          let params = 0;
          let trainable = false;
          if (own.weight instanceof tf.Tensor) {
            params += own.weight.size;
            trainable = (own.weight as tf.Variable).trainable ?? false;
          }
          if (own.bias instanceof tf.Tensor) params += own.bias.size;
          let macs = 0;
          if (m instanceof Conv2d && out instanceof tf.Tensor) macs = m.weight.size * out.shape[1] * out.shape[2];
          else if (m instanceof Linear && out instanceof tf.Tensor) macs = m.weight.size * (out.size / out.shape[0] / m.outFeatures);
          rows.push({ layer: `${m.constructor.name}-${rows.length + 1}`, name, outputShape: outputShapes(out), params, trainable, macs });
          return out;
        },
      });
      hooked.push(m);
    }
    model.eval();
    const dims = inputSize.length === 3 ? [1, inputSize[1], inputSize[2], inputSize[0]] : [1, ...inputSize];
    withoutFusion(() => tf.tidy(() => {
      model.forward(tf.zeros(dims));
    }));
  } finally {
    for (const m of hooked) delete (m as unknown as { forward?: unknown }).forward;
    named.forEach(([, m], i) => (m.training = modes[i]));
  }

  const totalParams = rows.reduce((a, r) => a + r.params, 0);
  const trainableParams = rows.reduce((a, r) => a + (r.trainable ? r.params : 0), 0);
  const macs = rows.reduce((a, r) => a + r.macs, 0);
  const numel = (s: number[] | number[][]): number =>
    Array.isArray(s[0]) ? (s as number[][]).reduce((a, t) => a + numel(t), 0) : Math.abs((s as number[]).reduce((a, b) => a * b, 1));
  const inputSizeMB = Math.abs((inputSize.reduce((a, b) => a * b, 1) * 4) / 1024 ** 2);
  const forwardBackwardMB = Math.abs((2 * rows.reduce((a, r) => a + numel(r.outputShape), 0) * 4) / 1024 ** 2);
  const paramsMB = Math.abs((totalParams * 4) / 1024 ** 2);
  const totalMB = inputSizeMB + forwardBackwardMB + paramsMB;

  const lines = [LINE, `${pad('Layer (type)', 20)}  ${pad('Output Shape', 25)} ${pad('Param #', 15)}`, DLINE];
  for (const r of rows) lines.push(`${pad(r.layer, 20)}  ${pad(pyList(r.outputShape), 25)} ${pad(fmtInt(r.params), 15)}`);
  lines.push(
    DLINE,
    `Total params: ${fmtInt(totalParams)}`,
    `Trainable params: ${fmtInt(trainableParams)}`,
    `Non-trainable params: ${fmtInt(totalParams - trainableParams)}`,
    LINE,
    `Input size (MB): ${inputSizeMB.toFixed(2)}`,
    `Forward/backward pass size (MB): ${forwardBackwardMB.toFixed(2)}`,
    `Params size (MB): ${paramsMB.toFixed(2)}`,
    `Estimated Total Size (MB): ${totalMB.toFixed(2)}`,
    LINE,
    `Estimated MACs (Conv2d + Linear, one sample): ${fmtInt(macs)} (${(macs / 1e9).toFixed(2)} G)`,
    LINE,
  );
  const text = lines.join('\n');
  if (typeof opts.print === 'function') opts.print(text);
  else if (opts.print ?? true) console.log(text);
  return { rows, totalParams, trainableParams, nonTrainableParams: totalParams - trainableParams, macs, inputSizeMB, forwardBackwardMB, paramsMB, totalMB, text };
}
