/**
 * Transfer learning helpers (the chapter's fine-tuning recipe): freeze / unfreeze a trunk,
 * replace a classifier head, and load pretrained weights from a file, a URL (with a local cache
 * and an optional SHA-256 check) or bytes.
 *
 * Node built-ins (`node:fs/promises`, `node:crypto`, `node:os`, `node:path`) are loaded lazily, so
 * this module bundles for browsers; there, `Uint8Array` and URL sources work (relative URLs
 * resolve against the page), cached in IndexedDB (src/worker/weights.ts's store, database
 * `simdnet-weights`; SHA-256 via WebCrypto).
 */
import type { AnyModule, LoadStateDictResult } from '../nn/module.js';
import { Module } from '../nn/module.js';
import { Linear } from '../nn/linear.js';
import { Sequential } from '../nn/container.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type SafetensorsTensorInput } from '../io/safetensors.js';
import { readCachedWeights, storeCachedWeights } from '../worker/weights.js';

/**
 * Freezes every parameter of `module` (PyTorch `for p in m.parameters(): p.requires_grad = False`,
 * i.e. `module.requires_grad_(False)`): they leave `trainableParameters()`, so trainModel's
 * optimizer never updates them. Buffers are untouched: BatchNorm running statistics still update
 * in training mode, as in PyTorch. Returns `module`.
 */
export function freeze<M extends AnyModule>(module: M): M {
  module.setRequiresGrad(false);
  return module;
}

/** Undoes {@link freeze}: every parameter of `module` requires grad again. Returns `module`. */
export function unfreeze<M extends AnyModule>(module: M): M {
  module.setRequiresGrad(true);
  return module;
}

/**
 * Replaces the classifier head with a fresh `Linear(inFeatures, numClasses)` (PyTorch init, or
 * seeded via `withSeed`/`manualSeed`), keeping the head's attribute name so state-dict keys stay
 * torchvision's:
 *  - `model.fc` (ResNet, GoogLeNet): `model.fc = new Linear(fc.inFeatures, numClasses)`;
 *  - `model.classifier` Sequential whose last Linear is replaced (VGG, AlexNet:
 *    `classifier.6`, the chapter's `net.classifier[6] = nn.Linear(4096, 2)`).
 * The old head's tensors are disposed. The new head requires grad (also when the model was
 * frozen before). Returns the new Linear.
 * @throws when the model has neither a Linear `fc` nor a `classifier` Sequential ending in a Linear.
 */
export function replaceHead(model: AnyModule, numClasses: number): Linear {
  const m = model as unknown as { fc?: unknown; classifier?: unknown };
  if (m.fc instanceof Linear) {
    const old = m.fc;
    const head = new Linear(old.inFeatures, numClasses);
    m.fc = head;
    old.dispose();
    return head;
  }
  if (m.classifier instanceof Sequential) {
    const seq = m.classifier as Sequential & Record<string, unknown>;
    const keys = Object.keys(seq).filter((k) => /^\d+$/.test(k) && seq[k] instanceof Module);
    for (let i = keys.length - 1; i >= 0; i--) {
      const old = seq[keys[i]];
      if (old instanceof Linear) {
        const head = new Linear(old.inFeatures, numClasses);
        seq[keys[i]] = head;
        old.dispose();
        return head;
      }
    }
  }
  throw new Error(`replaceHead: ${model.constructor.name} has no Linear 'fc' and no 'classifier' Sequential ending in a Linear`);
}

export interface LoadPretrainedOptions {
  /** Expected SHA-256 of the file (hex, case-insensitive); a mismatch is an error. */
  sha256?: string;
  /**
   * Where downloaded files are cached (Node), default `$SIMDNET_HOME/checkpoints` or
   * `~/.cache/simdnet/checkpoints` (torch.hub's layout). The file name is the URL's last path
   * segment.
   */
  cacheDir?: string;
  /** `loadStateDict` strictness (default true: missing/unexpected keys are errors). */
  strict?: boolean;
  /** Skip the network and use only the cached copy (default false). */
  offline?: boolean;
  /**
   * Use the cache for URLs (default true): the file cache in Node, IndexedDB in browsers (key:
   * the absolute URL; a cached copy whose SHA-256 differs from `sha256` is fetched again).
   */
  cache?: boolean;
  /** Keys to drop from the file before loading (e.g. `k => k.startsWith('fc.')` for another head). */
  exclude?: (key: string) => boolean;
}

export interface LoadPretrainedResult extends LoadStateDictResult {
  /** Where the bytes came from: the file path, the cache path (URL), `indexeddb:<url>` (browser cache), or 'bytes'. */
  path: string;
  /** Hex SHA-256 of the file. */
  sha256: string;
  /** True when a URL was served from the cache. */
  cached: boolean;
  /** The file's `__metadata__`. */
  metadata: Record<string, string>;
}

type NodeMods = {
  fs: typeof import('node:fs/promises');
  crypto: typeof import('node:crypto');
  path: typeof import('node:path');
  os: typeof import('node:os');
};

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

async function nodeMods(): Promise<NodeMods | undefined> {
  if (!isNode()) return undefined;
  const get = async <T>(id: string): Promise<T> =>
    (typeof process.getBuiltinModule === 'function' ? (process.getBuiltinModule(id) as T) : undefined) ??
    ((await import(/* @vite-ignore */ /* webpackIgnore: true */ id)) as T);
  return {
    fs: await get('node:fs/promises'),
    crypto: await get('node:crypto'),
    path: await get('node:path'),
    os: await get('node:os'),
  };
}

async function sha256Hex(bytes: Uint8Array, mods: NodeMods | undefined): Promise<string> {
  if (mods) return mods.crypto.createHash('sha256').update(bytes).digest('hex');
  const digest = await crypto.subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function isUrl(s: string | URL): boolean {
  return s instanceof URL || /^(https?|file):\/\//i.test(s);
}

/**
 * Resolves a pretrained-weights source to bytes: a `Uint8Array` as is; a file path read from disk;
 * an http(s) URL served from `cacheDir` when a copy is there (and matches `sha256`, if given),
 * else downloaded with `fetch`, checked, and written to the cache (atomically: temp file +
 * rename). Node needed for paths. In a browser a URL (relative: against the page) is served from
 * IndexedDB when cached there (and matching `sha256`), else fetched, checked and stored there.
 * @throws when the file is missing, when the URL cannot be fetched and no cached copy exists
 *   (the message names the URL, the cause and the cache path), or on a SHA-256 mismatch.
 */
export async function fetchPretrained(
  source: string | URL | Uint8Array,
  opts: Pick<LoadPretrainedOptions, 'sha256' | 'cacheDir' | 'offline' | 'cache'> = {},
): Promise<{ bytes: Uint8Array; path: string; sha256: string; cached: boolean }> {
  const mods = await nodeMods();
  const want = opts.sha256?.toLowerCase();
  const check = async (bytes: Uint8Array, where: string) => {
    const got = await sha256Hex(bytes, mods);
    if (want && got !== want) throw new Error(`loadPretrained: SHA-256 mismatch for ${where}: expected ${want}, got ${got}`);
    return got;
  };
  if (source instanceof Uint8Array) return { bytes: source, path: 'bytes', sha256: await check(source, 'the given bytes'), cached: false };
  if (!mods && !isUrl(source) && typeof location !== 'undefined' && typeof location.href === 'string') {
    source = new URL(String(source), location.href);  // browser: a relative URL
  }
  if (!isUrl(source) || String(source).startsWith('file://')) {
    if (!mods) throw new Error('loadPretrained: file paths need Node.js; in a browser pass a URL or the bytes');
    const p = String(source).startsWith('file://') ? new URL(String(source)).pathname : String(source);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await mods.fs.readFile(p));
    } catch (e) {
      throw new Error(`loadPretrained: cannot read ${p}: ${(e as Error).message}`);
    }
    return { bytes, path: p, sha256: await check(bytes, p), cached: false };
  }
  const url = String(source);
  const useCache = opts.cache ?? true;
  let cachePath: string | undefined;
  let idbKey: string | undefined;
  let stale = false; // a cached copy exists but its SHA-256 differs from opts.sha256
  if (!mods && useCache && typeof indexedDB !== 'undefined') {
    idbKey = url;
    cachePath = `indexeddb:${url}`;
    const bytes = await readCachedWeights(url);
    if (bytes) {
      const got = await sha256Hex(bytes, mods);
      if (!want || got === want) return { bytes, path: cachePath, sha256: got, cached: true };
      stale = true;
    }
  }
  if (mods && useCache) {
    const dir = opts.cacheDir ?? (process.env.SIMDNET_HOME ? mods.path.join(process.env.SIMDNET_HOME, 'checkpoints') : mods.path.join(mods.os.homedir(), '.cache', 'simdnet', 'checkpoints'));
    const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '') || 'weights.safetensors';
    cachePath = mods.path.join(dir, name.replace(/[^\w.+-]/g, '_'));
    try {
      const bytes = new Uint8Array(await mods.fs.readFile(cachePath));
      const got = await sha256Hex(bytes, mods);
      if (!want || got === want) return { bytes, path: cachePath, sha256: got, cached: true };
      stale = true;
    } catch {
      /* not cached */
    }
  }
  if (opts.offline) {
    throw new Error(stale
      ? `loadPretrained: offline and the cached copy of ${url} at ${cachePath} does not match SHA-256 ${want}`
      : `loadPretrained: offline and no cached copy of ${url}${cachePath ? ` at ${cachePath}` : ''}`);
  }
  let bytes: Uint8Array;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new Error(`loadPretrained: cannot fetch ${url} (${cause}) and no cached copy exists${cachePath ? ` at ${cachePath}` : ''}`);
  }
  const got = await check(bytes, url);
  if (idbKey) await storeCachedWeights(idbKey, bytes);
  if (mods && cachePath) {
    await mods.fs.mkdir(mods.path.dirname(cachePath), { recursive: true });
    const tmp = `${cachePath}.${process.pid}.${Date.now()}.part`;
    await mods.fs.writeFile(tmp, bytes);
    await mods.fs.rename(tmp, cachePath);
  }
  return { bytes, path: cachePath ?? url, sha256: got, cached: false };
}

/**
 * Loads pretrained weights into `model` (torchvision's `weights=...` / `load_state_dict(
 * torch.hub.load_state_dict_from_url(url, check_hash))`): the source (file path, URL, or bytes —
 * see {@link fetchPretrained}) must be a .safetensors file with PyTorch state-dict keys and
 * layouts (conv OIHW, linear [out, in]), loaded with `model.loadStateDict(tensors, {strict})`.
 * @returns the load result (missing / unexpected keys in non-strict mode) and where it came from
 * @throws on read/fetch/hash errors (see fetchPretrained), a malformed file, or a
 *   `StateDictError` (missing/unexpected keys when strict, shape mismatches always); the model is
 *   unchanged on error.
 */
export async function loadPretrained(
  model: AnyModule,
  source: string | URL | Uint8Array,
  opts: LoadPretrainedOptions = {},
): Promise<LoadPretrainedResult> {
  const got = await fetchPretrained(source, opts);
  let file: SafetensorsFile;
  try {
    file = parseSafetensors(got.bytes);
  } catch (e) {
    throw new Error(`loadPretrained: ${got.path} is not a valid .safetensors file: ${(e as Error).message}`);
  }
  const tensors = opts.exclude ? new Map([...file.tensors].filter(([k]) => !opts.exclude!(k))) : file.tensors;
  const res = model.loadStateDict(tensors, { strict: opts.strict ?? true });
  return { ...res, path: got.path, sha256: got.sha256, cached: got.cached, metadata: file.metadata };
}

/**
 * Serializes `model.stateDict()` as a .safetensors file with PyTorch keys and layouts (conv
 * OIHW, linear [out, in]): float tensors as F32, int32 ones (BatchNorm `num_batches_tracked`) as
 * I64 like PyTorch's, so torch's `load_state_dict(safetensors.torch.load_file(f))` accepts it and
 * {@link loadPretrained} reads it back. Metadata values must be strings.
 */
export function stateDictToSafetensors(model: AnyModule, metadata: Record<string, string> = {}): Uint8Array {
  const sd = model.stateDict();
  try {
    const tensors: Record<string, SafetensorsTensorInput> = {};
    for (const [k, t] of Object.entries(sd)) {
      tensors[k] = t.dtype === 'int32'
        ? { dtype: 'I64', shape: t.shape, data: t.dataSync() as Int32Array }
        : { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array };
    }
    return serializeSafetensors(tensors, metadata);
  } finally {
    for (const t of Object.values(sd)) t.dispose();
  }
}
