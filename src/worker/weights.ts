/**
 * Getting weight files' bytes by URL, with an optional IndexedDB cache (browsers, pages and
 * workers) so a second start works offline. Node: `file:` URLs are read from disk, http(s) is
 * fetched, and nothing is cached (the file system already is one).
 *
 * Cache: database `simdnet-weights`, object store `files`, key = the absolute URL, value = the
 * bytes (ArrayBuffer). Cache-first: a cached URL is never fetched again, so use versioned URLs
 * (`…/lenet5-v2.safetensors`) or call {@link clearWeightsCache} when the file changes.
 */
import { readFileBytes } from '../io/node_fs';

const DB_NAME = 'simdnet-weights';
const STORE = 'files';

function hasIndexedDB(): boolean {
  return typeof indexedDB !== 'undefined' && indexedDB !== null;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

async function openDb(): Promise<IDBDatabase> {
  const open = indexedDB.open(DB_NAME, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

async function withStore<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    const tx = db.transaction(STORE, mode);
    const result = await request(fn(tx.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    });
    return result;
  } finally {
    db.close();
  }
}

/**
 * Removes `url` (absolute) from the weights cache, or every entry when `url` is omitted.
 * No-op where IndexedDB is missing (Node).
 */
export async function clearWeightsCache(url?: string): Promise<void> {
  if (!hasIndexedDB()) return;
  await withStore('readwrite', s => (url === undefined ? s.clear() : s.delete(url)));
}

/**
 * The cached bytes of `url` (absolute) from the IndexedDB weights cache, or `undefined` when not
 * cached or where IndexedDB is missing or failing (Node, private mode).
 */
export async function readCachedWeights(url: string): Promise<Uint8Array | undefined> {
  if (!hasIndexedDB()) return undefined;
  const hit = await withStore('readonly', s => s.get(url)).catch(() => undefined);
  return hit instanceof ArrayBuffer ? new Uint8Array(hit) : undefined;
}

/**
 * Stores a copy of `bytes` as `url` (absolute) in the IndexedDB weights cache. Returns false
 * where IndexedDB is missing or the write failed (quota, private mode); never throws.
 */
export async function storeCachedWeights(url: string, bytes: Uint8Array): Promise<boolean> {
  if (!hasIndexedDB()) return false;
  const copy = bytes.slice().buffer;
  return withStore('readwrite', s => s.put(copy, url)).then(() => true, () => false);
}

/**
 * The bytes of a weight file.
 * @param url absolute URL: http(s):, blob:, data:, or file: (Node only).
 * @param opts.cache look in / store into the IndexedDB cache first (browsers; ignored elsewhere).
 *   A failing cache (private mode, quota) only costs the caching, never the load.
 * @returns the bytes and whether they came from the cache.
 * @throws Error `fetching weights from <url> failed: HTTP 404 …` (or the network error), or
 *   the file-system error for file: URLs.
 */
export async function fetchWeights(url: string, opts: { cache?: boolean } = {}): Promise<{ bytes: Uint8Array; fromCache: boolean }> {
  const useCache = opts.cache === true && hasIndexedDB() && !url.startsWith('blob:') && !url.startsWith('data:');
  if (useCache) {
    const hit = await readCachedWeights(url);
    if (hit !== undefined) return { bytes: hit, fromCache: true };
  }
  let bytes: Uint8Array;
  if (url.startsWith('file:')) {
    const nodeUrl = typeof process !== 'undefined'
      ? (process.getBuiltinModule?.('node:url') as typeof import('node:url') | undefined) : undefined;
    if (!nodeUrl) throw new Error(`weights ${url}: file: URLs can only be read in Node.js`);
    bytes = await readFileBytes(nodeUrl.fileURLToPath(url));
  } else {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`fetching weights from ${url} failed: ${(e as Error).message}`);
    }
    if (!res.ok) throw new Error(`fetching weights from ${url} failed: HTTP ${res.status} ${res.statusText}`.trim());
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  if (useCache) await storeCachedWeights(url, bytes);
  return { bytes, fromCache: false };
}
