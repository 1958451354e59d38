/**
 * The deterministic weight rule "simdnet-hash32-v1" shared with the PyTorch fixture generator
 * (tests/fixtures/torch/seeded_weights.py, gen_fixtures.py; the rule is documented in
 * tests/fixtures/torch/README.md). Both sides must agree bit for bit: the golden outputs in
 * tests/fixtures/torch/*.safetensors were computed by torch from exactly these weights, which are
 * not stored.
 *
 * For a tensor `name` with shape S (PyTorch layout, row-major: conv OIHW, linear [out, in],
 * conv-transpose IOHW, activations NCHW):
 *
 * ```
 * seed32 = fnv1a32(utf8(name)) ^ seed                       (seed defaults to DEFAULT_SEED = 0x5EED)
 * h_i    = lowbias32((seed32 + i * 0x9E3779B9) mod 2^32)     i = 0 .. numel-1 (flat index)
 * u_i    = (h_i >>> 8) / 2^23 - 1                            in [-1, 1), exactly a float32
 * ```
 *
 * and the value, computed in float64 and rounded once to float32, depends on the role given by
 * `leaf`, the part of the name after its last '.':
 *
 * | role                   | when                                                   | value                 |
 * |------------------------|--------------------------------------------------------|-----------------------|
 * | zero (int64)           | dtype 'int64' or leaf `num_batches_tracked`            | 0                     |
 * | fan_in                 | leaf `weight`, ndim >= 2                               | u * sqrt(6 / fan_in), fan_in = prod(S[1:]) |
 * | norm_weight            | leaf `weight`, ndim <= 1                               | 1 + 0.2 * u           |
 * | residual_norm_weight   | ... and the name matches `(^|\.)layer\d+\.\d+\.bn\d+\.weight$` | (1 + 0.2 * u) * 0.5 |
 * | small                  | leaf `bias` or `running_mean`                          | 0.1 * u               |
 * | var                    | leaf `running_var`                                     | 1 + 0.5 * u           |
 * | unit                   | anything else (e.g. `input`)                           | u                     |
 *
 * `u * sqrt(6 / fan_in)` has variance 2 / fan_in (He). The x0.5 on the BatchNorms inside
 * torchvision ResNet blocks (any prefix, e.g. `backbone.body.layer1.0.bn3.weight`; not the
 * `downsample.1` BN) keeps the residual stream O(1) through ResNet-152 (without it the logits reach
 * ~1e10 and the BN shifts stop mattering numerically).
 */

/** Name of the rule, as in the fixtures' `weight_rule` metadata. */
export const RULE_NAME = 'simdnet-hash32-v1';
/** The global seed used for every fixture in tests/fixtures/torch (metadata `seed`). */
export const DEFAULT_SEED = 0x5eed;
/** The per-element counter increment (2^32 / golden ratio). */
export const GOLDEN = 0x9e3779b9;
/** BatchNorm weights inside torchvision ResNet residual blocks (damped by {@link RESIDUAL_BN_FACTOR}). */
export const RESIDUAL_BN = /(^|\.)layer\d+\.\d+\.bn\d+\.weight$/;
export const RESIDUAL_BN_FACTOR = 0.5;

export type SeededDtype = 'float32' | 'int64';
export type SeededRole = 'zero' | 'fan_in' | 'norm_weight' | 'residual_norm_weight' | 'small' | 'var' | 'unit';

export interface SeededEntry {
  name: string;
  shape: number[];
  dtype?: SeededDtype;
}

export interface SeededTensor {
  /** PyTorch shape (NCHW / OIHW / [out, in]). */
  shape: number[];
  /** float32 values, or Int32Array zeros for int64 entries (num_batches_tracked). */
  data: Float32Array | Int32Array;
}

const utf8 = new TextEncoder();

/** FNV-1a 32-bit of the UTF-8 bytes of `name` (offset basis 0x811C9DC5, prime 0x01000193). */
export function fnv1a32(name: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8.encode(name)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Chris Wellons' "lowbias32" 32-bit integer mixer; returns an unsigned 32-bit value. */
export function lowbias32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** `fnv1a32(name) ^ seed` as an unsigned 32-bit value. */
export function seed32(name: string, seed = DEFAULT_SEED): number {
  return (fnv1a32(name) ^ seed) >>> 0;
}

/** h_i = lowbias32((s + i * 0x9E3779B9) mod 2^32) for a tensor seed `s` = {@link seed32}. */
export function hashAt(s: number, i: number): number {
  return lowbias32((s + Math.imul(i, GOLDEN)) >>> 0);
}

/** u = (h >>> 8) / 2^23 - 1 in [-1, 1) (exactly representable in float32). */
export function hashToUnit(h: number): number {
  return (h >>> 8) / 8388608 - 1;
}

/** The role of an entry, from the last dot-separated part of its name, its rank and dtype. */
export function seededRole(name: string, shape: readonly number[], dtype: SeededDtype = 'float32'): SeededRole {
  const leaf = name.slice(name.lastIndexOf('.') + 1);
  if (dtype === 'int64' || leaf === 'num_batches_tracked') return 'zero';
  if (leaf === 'weight') {
    if (shape.length >= 2) return 'fan_in';
    return RESIDUAL_BN.test(name) ? 'residual_norm_weight' : 'norm_weight';
  }
  if (leaf === 'bias' || leaf === 'running_mean') return 'small';
  if (leaf === 'running_var') return 'var';
  return 'unit';
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`torch_weights: bad dim ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/**
 * Flat float32 values `[start, start + count)` of the entry `name` with full `shape` (for checking
 * slices of huge tensors without generating them whole). Int64/zero-role entries give zeros.
 */
export function seededValues(
  name: string,
  shape: readonly number[],
  seed = DEFAULT_SEED,
  start = 0,
  count?: number,
  dtype: SeededDtype = 'float32',
): Float32Array {
  const numel = numelOf(shape);
  const n = count ?? numel - start;
  if (start < 0 || n < 0 || start + n > numel) throw new Error(`torch_weights: range [${start}, ${start + n}) outside ${numel} elements of ${name}`);
  if (numel >= 2 ** 32) throw new Error(`torch_weights: ${name} has ${numel} >= 2^32 elements`);
  const out = new Float32Array(n);
  const role = seededRole(name, shape, dtype);
  if (role === 'zero') return out;
  const s = seed32(name, seed);
  // Same float64 operations, in the same order, as seeded_weights.py; the Float32Array store rounds once.
  switch (role) {
    case 'fan_in': {
      const scale = Math.sqrt(6 / numelOf(shape.slice(1)));
      for (let j = 0; j < n; j++) out[j] = hashToUnit(hashAt(s, start + j)) * scale;
      break;
    }
    case 'norm_weight':
      for (let j = 0; j < n; j++) out[j] = 1 + 0.2 * hashToUnit(hashAt(s, start + j));
      break;
    case 'residual_norm_weight':
      for (let j = 0; j < n; j++) out[j] = (1 + 0.2 * hashToUnit(hashAt(s, start + j))) * RESIDUAL_BN_FACTOR;
      break;
    case 'small':
      for (let j = 0; j < n; j++) out[j] = 0.1 * hashToUnit(hashAt(s, start + j));
      break;
    case 'var':
      for (let j = 0; j < n; j++) out[j] = 1 + 0.5 * hashToUnit(hashAt(s, start + j));
      break;
    case 'unit':
      for (let j = 0; j < n; j++) out[j] = hashToUnit(hashAt(s, start + j));
      break;
  }
  return out;
}

/** One entry by the rule: float32 values, or Int32Array zeros for int64 entries. */
export function seededTensor(entry: SeededEntry, seed = DEFAULT_SEED): SeededTensor {
  const shape = entry.shape.slice();
  if (entry.dtype === 'int64' || seededRole(entry.name, shape, entry.dtype) === 'zero') {
    return { shape, data: new Int32Array(numelOf(shape)) };
  }
  return { shape, data: seededValues(entry.name, shape, seed) };
}

/**
 * A whole state dict by the rule, in the order of `entries` (e.g. `JSON.parse(metadata.state_dict)`
 * of a fixture in tests/fixtures/torch, which lists every key of the torch model with its shape and
 * dtype). Values are in PyTorch layout (NCHW / OIHW / [out, in]).
 */
export function seededStateDict(entries: SeededEntry[], seed = DEFAULT_SEED): Map<string, SeededTensor> {
  const out = new Map<string, SeededTensor>();
  for (const e of entries) {
    if (out.has(e.name)) throw new Error(`torch_weights: duplicate entry ${e.name}`);
    out.set(e.name, seededTensor(e, seed));
  }
  return out;
}
