/**
 * A small PyTorch-like module system on tfjs-core.
 *
 * Registration rule (one mechanism, PyTorch's `__setattr__` without the magic): a module's own
 * enumerable properties are scanned in definition order, and
 *   - a property holding a `Module` is a child (`this.cnn1 = new Conv2d(...)` -> child `cnn1`);
 *   - a property holding a `tf.Variable` made by {@link parameter} (or any other `tf.Variable`)
 *     is a parameter;
 *   - a property holding a `tf.Variable` made by {@link buffer} is a buffer;
 *   - anything else (numbers, arrays, plain tensors, `null` for an absent bias) is ignored, and so
 *     is every property whose name starts with `_` (private state, caches).
 * The state-dict key of a tensor is the dotted path of property names, exactly PyTorch's: a
 * `Conv2d` stored in `this.cnn1` contributes `cnn1.weight` and `cnn1.bias`.
 *
 * Layouts: inside, activations are NHWC and weights are in tfjs layouts (conv filter
 * [kh, kw, Cin, Cout], linear kernel [in, out]). Each parameter carries a {@link Layout} that says
 * how to permute it into PyTorch's layout (OIHW, [out, in]); `stateDict()` applies it and
 * `loadStateDict()` applies its inverse, once, at the boundary.
 */
import * as tf from '@tensorflow/tfjs-core';

// ---------------------------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------------------------

/**
 * How a stored (tfjs-layout) tensor maps onto PyTorch's layout: `toTorch` is the permutation
 * applied with `tf.transpose(t, toTorch)` to obtain the PyTorch tensor, or `null` for identity.
 */
export interface Layout {
  readonly name: string;
  readonly toTorch: readonly number[] | null;
}

/** The layouts used by the built-in layers. */
export const Layouts = {
  /** Same layout in tfjs and PyTorch (biases, BN parameters and buffers). */
  identity: { name: 'identity', toTorch: null } as Layout,
  /** Conv2d filter: tfjs [kh, kw, Cin, Cout] <-> PyTorch OIHW [Cout, Cin, kh, kw]. */
  conv2dFilter: { name: 'conv2dFilter', toTorch: [3, 2, 0, 1] } as Layout,
  /**
   * ConvTranspose2d filter: tfjs conv2dTranspose [kh, kw, Cout, Cin] <-> PyTorch
   * [Cin, Cout, kh, kw] (the same permutation as conv2dFilter).
   */
  convTranspose2dFilter: { name: 'convTranspose2dFilter', toTorch: [3, 2, 0, 1] } as Layout,
  /** Linear weight: tfjs kernel [in, out] <-> PyTorch weight [out, in]. */
  linearWeight: { name: 'linearWeight', toTorch: [1, 0] } as Layout,
} as const;

function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** The PyTorch-layout shape of a tensor stored with `shape` in `layout`. */
export function torchShape(shape: readonly number[], layout: Layout): number[] {
  const p = layout.toTorch;
  if (p == null) return shape.slice();
  if (p.length !== shape.length) {
    throw new Error(`Layout ${layout.name} expects rank ${p.length}, got shape [${shape.join(', ')}]`);
  }
  return p.map((i) => shape[i]);
}

/** The tfjs-layout shape of a tensor whose PyTorch-layout shape is `shape`. */
export function storedShape(shape: readonly number[], layout: Layout): number[] {
  const p = layout.toTorch;
  if (p == null) return shape.slice();
  if (p.length !== shape.length) return shape.slice(); // caller reports the mismatch
  return invertPerm(p).map((i) => shape[i]);
}

/** Stored (tfjs) layout -> PyTorch layout. Returns a new tensor (the caller disposes it). */
export function layoutToTorch(t: tf.Tensor, layout: Layout): tf.Tensor {
  return layout.toTorch == null ? tf.clone(t) : tf.transpose(t, layout.toTorch as number[]);
}

/** PyTorch layout -> stored (tfjs) layout. Returns a new tensor (the caller disposes it). */
export function layoutFromTorch(t: tf.Tensor, layout: Layout): tf.Tensor {
  return layout.toTorch == null ? tf.clone(t) : tf.transpose(t, invertPerm(layout.toTorch));
}

// ---------------------------------------------------------------------------------------------
// Parameters and buffers
// ---------------------------------------------------------------------------------------------

/**
 * A parameter is a `tf.Variable` (so tfjs optimizers update it in place) with a `requiresGrad`
 * flag, an alias of `tf.Variable.trainable`: a frozen parameter (`requiresGrad = false`) is left
 * out of {@link Module.trainableParameters} and skipped by `optimizer.minimize`.
 */
export type Parameter<R extends tf.Rank = tf.Rank> = tf.Variable<R> & { requiresGrad: boolean };

interface TensorMeta {
  kind: 'parameter' | 'buffer';
  layout: Layout;
  persistent: boolean;
}

const META = new WeakMap<tf.Variable, TensorMeta>();

function defineRequiresGrad(v: tf.Variable): void {
  Object.defineProperty(v, 'requiresGrad', {
    get(this: tf.Variable) {
      return this.trainable;
    },
    set(this: tf.Variable, flag: boolean) {
      this.trainable = !!flag;
    },
    enumerable: false,
    configurable: true,
  });
}

export interface ParameterOptions {
  /** How to convert to/from PyTorch's layout (default identity). */
  layout?: Layout;
  /** Default true. `false` freezes the parameter (tf.Variable.trainable = false). */
  requiresGrad?: boolean;
  /** Optional tfjs variable name (must be globally unique in tfjs); default auto-generated. */
  name?: string;
}

/**
 * Makes a parameter (PyTorch `nn.Parameter`): a float32 `tf.Variable` initialised from `value`.
 * The variable shares `value`'s data; `value` itself stays owned by the caller, who may dispose
 * it right away (typical: `tf.tidy(() => parameter(init()))`).
 */
export function parameter(value: tf.Tensor, opts: ParameterOptions = {}): Parameter {
  const v = tf.variable(value, opts.requiresGrad ?? true, opts.name, value.dtype);
  defineRequiresGrad(v);
  META.set(v, { kind: 'parameter', layout: opts.layout ?? Layouts.identity, persistent: true });
  return v as Parameter;
}

export interface BufferOptions {
  /** Default true; non-persistent buffers are not part of the state dict (PyTorch semantics). */
  persistent?: boolean;
  layout?: Layout;
  name?: string;
}

/**
 * Makes a buffer (PyTorch `register_buffer`): a non-trainable `tf.Variable` holding state such as
 * BatchNorm running statistics. Same ownership rule as {@link parameter}.
 */
export function buffer(value: tf.Tensor, opts: BufferOptions = {}): tf.Variable {
  const v = tf.variable(value, false, opts.name, value.dtype);
  META.set(v, { kind: 'buffer', layout: opts.layout ?? Layouts.identity, persistent: opts.persistent ?? true });
  return v;
}

function metaOf(v: tf.Variable): TensorMeta {
  return META.get(v) ?? { kind: 'parameter', layout: Layouts.identity, persistent: true };
}

/** The layout recorded for a parameter or buffer (identity for foreign variables). */
export function layoutOf(v: tf.Variable): Layout {
  return metaOf(v).layout;
}

function isVariable(v: unknown): v is tf.Variable {
  return v instanceof tf.Variable;
}

// ---------------------------------------------------------------------------------------------
// State dicts
// ---------------------------------------------------------------------------------------------

/** PyTorch-keyed tensors in PyTorch layouts (what `torch.nn.Module.state_dict()` holds). */
export type StateDict = Record<string, tf.Tensor>;

/**
 * Raw tensor data accepted by {@link Module.loadStateDict} besides tf.Tensor: row-major `data`
 * with `product(shape)` elements, PyTorch layout. This is what src/io's safetensors reader yields
 * (`SafetensorsFile.tensors`), so `model.loadStateDict(file.tensors)` works directly; 64-bit
 * integer (bigint) and float64 data are converted to the variable's dtype.
 */
export interface TensorData {
  shape: readonly number[];
  data: ArrayLike<number> | ArrayLike<bigint>;
}

/** What {@link Module.loadStateDict} accepts: tf.Tensors or raw {@link TensorData}, by PyTorch key. */
export type StateDictLike =
  | Record<string, tf.Tensor | TensorData>
  | Map<string, tf.Tensor | TensorData>;

function tensorFromData(d: TensorData, dtype: tf.DataType): tf.Tensor {
  const src = d.data as ArrayLike<number | bigint>;
  let arr: Float32Array | Int32Array;
  if (dtype === 'int32') arr = src instanceof Int32Array ? src : Int32Array.from(src, (v) => Number(v));
  else arr = src instanceof Float32Array ? src : Float32Array.from(src, (v) => Number(v));
  return tf.tensor(arr, d.shape as number[], dtype === 'int32' ? 'int32' : 'float32');
}

/** Disposes every tensor of a state dict returned by {@link Module.stateDict}. */
export function disposeStateDict(dict: StateDict): void {
  tf.dispose(Object.values(dict));
}

export interface LoadStateDictOptions {
  /**
   * Default true: missing and unexpected keys are errors. Shape mismatches are errors in both
   * modes (as in PyTorch).
   */
  strict?: boolean;
}

/** What `loadStateDict` returns: PyTorch's `_IncompatibleKeys`. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface ShapeMismatch {
  key: string;
  /** Expected shape, PyTorch layout. */
  expected: number[];
  /** Shape found in the dict. */
  actual: number[];
}

/**
 * Thrown by {@link Module.loadStateDict}; lists every problem at once, in PyTorch's wording.
 */
export class StateDictError extends Error {
  constructor(
    readonly moduleName: string,
    readonly missingKeys: string[],
    readonly unexpectedKeys: string[],
    readonly mismatches: ShapeMismatch[],
    readonly otherErrors: string[] = [],
  ) {
    const lines = [`Error(s) in loading state_dict for ${moduleName}:`];
    const q = (ks: string[]) => ks.map((k) => `"${k}"`).join(', ');
    if (missingKeys.length) lines.push(`\tMissing key(s) in state_dict: ${q(missingKeys)}.`);
    if (unexpectedKeys.length) lines.push(`\tUnexpected key(s) in state_dict: ${q(unexpectedKeys)}.`);
    for (const m of mismatches) {
      lines.push(
        `\tsize mismatch for ${m.key}: copying a param with shape [${m.actual.join(', ')}] from checkpoint, ` +
          `the shape in current model is [${m.expected.join(', ')}] (PyTorch layout).`,
      );
    }
    for (const e of otherErrors) lines.push(`\t${e}`);
    super(lines.join('\n'));
    this.name = 'StateDictError';
  }
}

// ---------------------------------------------------------------------------------------------
// Module
// ---------------------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any>;

/**
 * Base class of every layer and model (PyTorch `torch.nn.Module`).
 *
 * Subclasses assign children, parameters and buffers to properties in the constructor and
 * implement {@link forward}. Callers use {@link call} (or its alias {@link apply}), which runs
 * `forward` inside `tf.tidy`, so intermediate tensors never leak; `forward` may be called
 * directly from inside another module's `forward` (already inside a tidy scope).
 *
 * @typeParam In input type of forward (default: an NHWC `tf.Tensor`).
 * @typeParam Out output type of forward (a tensor or container of tensors).
 */
export abstract class Module<In = tf.Tensor, Out extends tf.TensorContainer = tf.Tensor> {
  /** Training mode flag (PyTorch `module.training`); set with {@link train} / {@link eval}. */
  training = true;

  /** The computation. Inputs and outputs are NHWC for image tensors. */
  abstract forward(input: In): Out;

  /**
   * Runs {@link forward} inside `tf.tidy`: every intermediate tensor is disposed, only the result
   * survives (the caller owns it). PyTorch's `module(x)`.
   */
  call(input: In): Out {
    return tf.tidy(() => this.forward(input));
  }

  /**
   * Alias of {@link call} (the tfjs-layers name). Note: PyTorch's `Module.apply(fn)` (apply `fn`
   * to every submodule) is {@link forEachModule} here.
   */
  apply(input: In): Out {
    return this.call(input);
  }

  /** Sets training mode on this module and every descendant (PyTorch `train(mode)`). */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. Dropout becomes identity, BatchNorm uses running stats. */
  eval(): this {
    return this.train(false);
  }

  /** Applies `fn` to every submodule (children first) and to this module (PyTorch `apply(fn)`). */
  forEachModule(fn: (m: AnyModule) => void): this {
    for (const c of this.children()) c.forEachModule(fn);
    fn(this);
    return this;
  }

  // -- registration scan ---------------------------------------------------------------------

  /** Own [name, value] pairs that take part in registration (skips `_`-prefixed names). */
  private registeredEntries(): Array<[string, unknown]> {
    return Object.entries(this).filter(([k, v]) => !k.startsWith('_') && v != null);
  }

  /** Direct children with their attribute names, in definition order. */
  namedChildren(): Array<[string, AnyModule]> {
    return this.registeredEntries().filter((e): e is [string, AnyModule] => e[1] instanceof Module);
  }

  children(): AnyModule[] {
    return this.namedChildren().map((e) => e[1]);
  }

  /** This module and all descendants with dotted names ('' for this one); each module once. */
  namedModules(prefix = '', memo: Set<AnyModule> = new Set()): Array<[string, AnyModule]> {
    if (memo.has(this)) return [];
    memo.add(this);
    const out: Array<[string, AnyModule]> = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name, memo));
    }
    return out;
  }

  modules(): AnyModule[] {
    return this.namedModules().map((e) => e[1]);
  }

  /** Own parameters and buffers, in definition order. */
  private ownTensors(): Array<[string, tf.Variable, TensorMeta]> {
    const out: Array<[string, tf.Variable, TensorMeta]> = [];
    for (const [k, v] of this.registeredEntries()) if (isVariable(v)) out.push([k, v, metaOf(v)]);
    return out;
  }

  private namedTensors(kind: 'parameter' | 'buffer', prefix: string, recurse: boolean): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    const seen = new Set<tf.Variable>();
    const mods: Array<[string, AnyModule]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [k, v, meta] of m.ownTensors()) {
        if (meta.kind !== kind || seen.has(v)) continue;
        seen.add(v);
        out.push([mp ? `${mp}.${k}` : k, v]);
      }
    }
    return out;
  }

  /** Parameters with PyTorch dotted names (`conv1.weight`), each once (shared ones deduplicated). */
  namedParameters(prefix = '', recurse = true): Array<[string, Parameter]> {
    return this.namedTensors('parameter', prefix, recurse) as Array<[string, Parameter]>;
  }

  /** All parameters (tf.Variables, trainable or frozen). */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map((e) => e[1]);
  }

  /** Parameters with `requiresGrad` true: the `varList` to hand to `optimizer.minimize`. */
  trainableParameters(): Parameter[] {
    return this.parameters().filter((p) => p.trainable);
  }

  /** Buffers with dotted names (`bn1.running_mean`), persistent or not. */
  namedBuffers(prefix = '', recurse = true): Array<[string, tf.Variable]> {
    return this.namedTensors('buffer', prefix, recurse);
  }

  buffers(recurse = true): tf.Variable[] {
    return this.namedBuffers('', recurse).map((e) => e[1]);
  }

  /** Sets `requiresGrad` on every parameter (PyTorch `requires_grad_`). */
  setRequiresGrad(flag = true): this {
    for (const p of this.parameters()) p.trainable = flag;
    return this;
  }

  /** Number of scalar parameters (all, or only trainable ones). */
  numParameters(trainableOnly = false): number {
    return (trainableOnly ? this.trainableParameters() : this.parameters()).reduce((n, p) => n + p.size, 0);
  }

  // -- state dict ----------------------------------------------------------------------------

  /**
   * Every persistent tensor keyed like PyTorch (parameters first, then buffers, then children),
   * not deduplicated (a shared tensor appears under each name, as in PyTorch).
   */
  private stateEntries(prefix = ''): Array<[string, tf.Variable, TensorMeta]> {
    const out: Array<[string, tf.Variable, TensorMeta]> = [];
    const own = this.ownTensors().filter((e) => e[2].persistent);
    const key = (k: string) => (prefix ? `${prefix}.${k}` : k);
    for (const [k, v, m] of own) if (m.kind === 'parameter') out.push([key(k), v, m]);
    for (const [k, v, m] of own) if (m.kind === 'buffer') out.push([key(k), v, m]);
    for (const [name, child] of this.namedChildren()) out.push(...child.stateEntries(key(name)));
    return out;
  }

  /**
   * PyTorch's `state_dict()`: new tensors in PyTorch layouts (conv weights OIHW
   * [Cout, Cin, kh, kw], linear weights [out, in]) keyed by PyTorch names. They are copies
   * (snapshots): later training does not change them. The caller owns and disposes them
   * ({@link disposeStateDict}).
   */
  stateDict(): StateDict {
    const dict: StateDict = {};
    for (const [k, v, m] of this.stateEntries()) dict[k] = tf.tidy(() => layoutToTorch(v, m.layout));
    return dict;
  }

  /**
   * PyTorch's `load_state_dict(dict, strict)`: copies PyTorch-layout tensors into this module,
   * converting each once into the stored tfjs layout (OIHW -> [kh, kw, Cin, Cout],
   * [out, in] -> [in, out]) and casting to the variable's dtype (e.g. int64-as-float
   * `num_batches_tracked` -> int32).
   *
   * Everything is validated before anything is written, so a failed load leaves the module
   * unchanged. The caller keeps ownership of `dict`'s tensors. Values may be tf.Tensors or raw
   * {@link TensorData} (`{shape, data}`, e.g. src/io's safetensors tensors).
   *
   * @throws StateDictError listing, all at once: missing keys and unexpected keys (strict mode
   *   only), and shape mismatches with expected (PyTorch layout) vs actual shapes (both modes,
   *   like PyTorch), and non-numeric tensors.
   */
  loadStateDict(dict: StateDictLike, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    if (dict == null || typeof dict !== 'object') {
      throw new TypeError(`loadStateDict(${this.constructor.name}): expected a state dict (a Map or an object of ` +
        `name → tensor, e.g. a SafetensorsFile's tensors), got ${dict === null ? 'null' : typeof dict}`);
    }
    const given: Map<string, tf.Tensor | TensorData> = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const entries = this.stateEntries();
    const expectedKeys = new Set(entries.map((e) => e[0]));
    const missingKeys: string[] = [];
    const mismatches: ShapeMismatch[] = [];
    const other: string[] = [];
    const toLoad: Array<[tf.Variable, tf.Tensor | TensorData, Layout]> = [];
    for (const [k, v, m] of entries) {
      const t = given.get(k);
      if (t == null) {
        missingKeys.push(k);
        continue;
      }
      if (t instanceof tf.Tensor) {
        if (t.isDisposed) {
          other.push(`tensor for ${k} is disposed.`);
          continue;
        }
        if (t.dtype === 'string' || t.dtype === 'complex64') {
          other.push(`dtype mismatch for ${k}: got ${t.dtype}, expected a numeric tensor.`);
          continue;
        }
      } else if (t == null || !Array.isArray(t.shape) || t.data == null || typeof t.data.length !== 'number') {
        other.push(`value for ${k} is neither a tf.Tensor nor {shape, data}.`);
        continue;
      } else if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) {
        other.push(`data for ${k} has ${t.data.length} elements, shape [${t.shape.join(', ')}] needs ${t.shape.reduce((a, b) => a * b, 1)}.`);
        continue;
      }
      const expected = torchShape(v.shape, m.layout);
      const actual = Array.from(t.shape);
      if (!tf.util.arraysEqual(expected, actual)) {
        mismatches.push({ key: k, expected, actual });
        continue;
      }
      toLoad.push([v, t, m.layout]);
    }
    const unexpectedKeys = [...given.keys()].filter((k) => !expectedKeys.has(k));
    if (mismatches.length || other.length || (strict && (missingKeys.length || unexpectedKeys.length))) {
      throw new StateDictError(
        this.constructor.name,
        strict ? missingKeys : [],
        strict ? unexpectedKeys : [],
        mismatches,
        other,
      );
    }
    for (const [v, given, layout] of toLoad) {
      tf.tidy(() => {
        const t = given instanceof tf.Tensor ? given : tensorFromData(given, v.dtype);
        const src = t.dtype === v.dtype ? t : tf.cast(t, v.dtype);
        v.assign(layout.toTorch == null ? src : layoutFromTorch(src, layout));
      });
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Disposes every parameter and buffer (each once). The module is unusable afterwards. */
  dispose(): void {
    const seen = new Set<tf.Variable>();
    for (const m of this.modules()) {
      for (const [, v] of m.ownTensors()) {
        if (seen.has(v)) continue;
        seen.add(v);
        if (!v.isDisposed) v.dispose();
      }
    }
  }

  // -- printing ------------------------------------------------------------------------------

  /** Extra text inside the parentheses of {@link toString} (PyTorch `extra_repr`). */
  extraRepr(): string {
    return '';
  }

  /** PyTorch-style multi-line description of the module tree. */
  toString(): string {
    const children = this.namedChildren();
    const name = this.constructor.name;
    if (children.length === 0) return `${name}(${this.extraRepr()})`;
    const lines = [`${name}(`];
    const extra = this.extraRepr();
    if (extra) lines.push(`  ${extra}`);
    for (const [k, c] of children) lines.push(`  (${k}): ${c.toString().split('\n').join('\n  ')}`);
    lines.push(')');
    return lines.join('\n');
  }
}
