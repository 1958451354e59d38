/**
 * Containers: Sequential and ModuleList (torch.nn.Sequential / torch.nn.ModuleList).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, type AnyModule } from './module.js';

/**
 * `new Sequential(m0, m1, ...)` (children named '0', '1', ... as in PyTorch, so state-dict keys
 * are `0.weight`, `3.bias`, ...) or `new Sequential({conv: m0, relu: m1})` (PyTorch's
 * OrderedDict form; names must not be integer-like unless all of them are, because JS orders
 * integer-like property names first).
 * forward applies the children in order, each through its `forward`.
 */
export class Sequential extends Module<tf.Tensor, tf.Tensor> {
  constructor(...modules: AnyModule[] | [Record<string, AnyModule>]) {
    super();
    if (modules.length === 1 && !(modules[0] instanceof Module)) {
      for (const [name, m] of Object.entries(modules[0] as Record<string, AnyModule>)) this.addModule(name, m);
    } else {
      (modules as AnyModule[]).forEach((m, i) => this.addModule(String(i), m));
    }
  }

  /** Adds a child under `name` (PyTorch `add_module`). @throws on a duplicate/invalid name or non-Module. */
  addModule(name: string, m: AnyModule): this {
    if (!(m instanceof Module)) throw new Error(`Sequential: ${name} is not a Module`);
    if (!name || name.includes('.') || name.startsWith('_')) throw new Error(`Sequential: invalid module name "${name}"`);
    if (Object.prototype.hasOwnProperty.call(this, name)) throw new Error(`Sequential: attribute "${name}" already exists`);
    (this as unknown as Record<string, AnyModule>)[name] = m;
    return this;
  }

  /** Appends a child named by the next index (PyTorch `append`). */
  append(m: AnyModule): this {
    return this.addModule(String(this.length), m);
  }

  /** Number of children. */
  get length(): number {
    return this.namedChildren().length;
  }

  /** The i-th child (negative counts from the end). @throws if out of range. */
  at(i: number): AnyModule {
    const cs = this.children();
    const j = i < 0 ? i + cs.length : i;
    if (j < 0 || j >= cs.length) throw new Error(`Sequential: index ${i} out of range`);
    return cs[j];
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    for (const m of this.children()) y = m.forward(y);
    return y;
  }
}

/** A list of modules registered as '0', '1', ... (PyTorch ModuleList). Not callable. */
export class ModuleList extends Module<never, never> {
  constructor(modules: AnyModule[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }
  append(m: AnyModule): this {
    if (!(m instanceof Module)) throw new Error('ModuleList: can only hold Modules');
    (this as unknown as Record<string, AnyModule>)[String(this.length)] = m;
    return this;
  }
  get length(): number {
    return this.namedChildren().length;
  }
  at(i: number): AnyModule {
    const cs = this.children();
    const j = i < 0 ? i + cs.length : i;
    if (j < 0 || j >= cs.length) throw new Error(`ModuleList: index ${i} out of range`);
    return cs[j];
  }
  [Symbol.iterator](): Iterator<AnyModule> {
    return this.children()[Symbol.iterator]();
  }
  forward(): never {
    throw new Error('ModuleList is not callable; iterate over it in the parent forward()');
  }
}
