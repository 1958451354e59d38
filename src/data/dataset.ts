/**
 * torch.utils.data.Dataset and torchvision's ImageFolder: over the Node file system (paths), and
 * over `File`/`Blob` lists and URL lists (browsers, and Node 20+ which has `File`, `Blob` and
 * `fetch`), see ./sources.ts.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageU8 } from '../io/image.js';
import { decodeImageBytes, readSourceBytes, relativePathOf, type FileLike } from './sources.js';
import type { Rng } from '../nn/init.js';
import type { Transform } from '../transforms/transforms.js';

/**
 * A map-style dataset (torch.utils.data.Dataset): `length` items, `get(i)` the i-th
 * (`__getitem__`), sync or async. `rng` is the per-item generator a DataLoader passes so that
 * random transforms are reproducible independently of loading order.
 */
export interface Dataset<T> {
  readonly length: number;
  get(i: number, rng?: Rng): T | Promise<T>;
}

/** One labelled example: the transformed image and its class index (torchvision's `(sample, target)`). */
export interface Sample<X> {
  x: X;
  y: number;
}

/** torchvision's IMG_EXTENSIONS that src/io can decode (PNG and JPEG), lower case. */
export const IMG_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

function hasImageExtension(name: string, exts: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return exts.some((e) => lower.endsWith(e));
}

/**
 * A file and its class index (the chapter's `file_list` entries, with labels). `path` is a file
 * path (Node file system), or an http(s):, blob: or data: URL (read with `fetch`; in a browser
 * every string is a URL, relative ones resolved against the page). With `file` (a `File`/`Blob`),
 * the bytes come from it and `path` is only its name (e.g. `webkitRelativePath`).
 */
export interface LabelledFile {
  path: string;
  label: number;
  file?: Blob;
}

/**
 * A dataset over an explicit list of image files (the chapter's `make_datapath_list` + its
 * `HymenopteraDataset(file_list, transform, phase)`): `get(i)` reads entry i (its `file`, its URL
 * by `fetch`, or its path from the Node file system; see {@link LabelledFile}), decodes it to RGB
 * uint8 HWC (./sources.ts `decodeImageBytes`: src/io `decodeImage` in Node, `createImageBitmap`
 * in browsers; PNG/JPEG) and applies `transform` (identity when absent, giving the {@link ImageU8}).
 * @throws (from get) when the file cannot be read or decoded; the error names the file.
 */
export class ImageListDataset<X = ImageU8> implements Dataset<Sample<X>> {
  readonly samples: ReadonlyArray<LabelledFile>;
  constructor(files: ReadonlyArray<LabelledFile>, readonly transform?: Transform<ImageU8, X>) {
    for (const f of files) {
      if (typeof f?.path !== 'string' || !Number.isInteger(f.label) || f.label < 0) {
        throw new Error(`ImageListDataset: each entry needs a path string and a non-negative integer label, got ${JSON.stringify(f)}`);
      }
      if (f.file !== undefined && !(typeof Blob !== 'undefined' && f.file instanceof Blob)) {
        throw new Error(`ImageListDataset: entry ${f.path}: 'file' must be a File or Blob`);
      }
    }
    this.samples = files.slice();
  }

  /**
   * A dataset over `File`/`Blob` objects (an `<input type=file multiple>` list, drag and drop;
   * Node 20+: `new File([bytes], name)`), in the given order. `labels[i]` or `labels(file, i)`
   * is the class index of `files[i]`. Names: `webkitRelativePath` when set, else `name`.
   * @throws when a label is not a non-negative integer or the lengths differ.
   */
  static fromFileList<X = ImageU8>(files: ArrayLike<FileLike>, labels: ArrayLike<number> | ((file: FileLike, i: number) => number), transform?: Transform<ImageU8, X>): ImageListDataset<X> {
    const list = Array.from(files);
    if (typeof labels !== 'function' && labels.length !== list.length) throw new Error(`ImageListDataset.fromFileList: ${list.length} files but ${labels.length} labels`);
    return new ImageListDataset<X>(list.map((f, i) => ({
      path: relativePathOf(f), file: f, label: typeof labels === 'function' ? labels(f, i) : labels[i],
    })), transform);
  }

  /**
   * A dataset over image URLs (http(s):, blob:, data:; in a browser also relative URLs), read
   * with `fetch` when an item is loaded. `labels[i]` or `labels(url, i)` is the class index.
   * @throws when a label is not a non-negative integer or the lengths differ.
   */
  static fromUrlList<X = ImageU8>(urls: ArrayLike<string | URL>, labels: ArrayLike<number> | ((url: string, i: number) => number), transform?: Transform<ImageU8, X>): ImageListDataset<X> {
    const list = Array.from(urls, (u) => String(u));
    if (typeof labels !== 'function' && labels.length !== list.length) throw new Error(`ImageListDataset.fromUrlList: ${list.length} URLs but ${labels.length} labels`);
    return new ImageListDataset<X>(list.map((u, i) => ({ path: u, label: typeof labels === 'function' ? labels(u, i) : labels[i] })), transform);
  }

  /**
   * The undecoded bytes of item `i`: from its `file`, by `fetch` for URLs, else from the file
   * system (Node).
   * @throws when the file cannot be read; the error names it.
   */
  async readBytes(i: number): Promise<Uint8Array> {
    if (!(Number.isInteger(i) && i >= 0 && i < this.samples.length)) throw new Error(`${this.constructor.name}: index ${i} out of range 0..${this.samples.length - 1}`);
    const s = this.samples[i];
    try {
      return await readSourceBytes(s);
    } catch (e) {
      throw new Error(`${this.constructor.name}: cannot load ${s.path}: ${(e as Error).message}`);
    }
  }
  get length(): number {
    return this.samples.length;
  }
  /** Reads, decodes and transforms item `i`. */
  async get(i: number, rng?: Rng): Promise<Sample<X>> {
    if (!(Number.isInteger(i) && i >= 0 && i < this.samples.length)) throw new Error(`${this.constructor.name}: index ${i} out of range 0..${this.samples.length - 1}`);
    const bytes = await this.readBytes(i);
    const { path, label } = this.samples[i];
    let img: ImageU8;
    try {
      img = await decodeImageBytes(bytes);
    } catch (e) {
      throw new Error(`${this.constructor.name}: cannot load ${path}: ${(e as Error).message}`);
    }
    const x = this.transform ? this.transform.apply(img, rng) : (img as unknown as X);
    return { x, y: label };
  }
}

export interface ImageFolderOptions {
  /** Accepted file extensions (case-insensitive), default {@link IMG_EXTENSIONS}. */
  extensions?: readonly string[];
}

/** What {@link ImageFolder}'s constructor takes instead of a root folder: an already-listed tree. */
export interface ImageFolderListing {
  root: string;
  classes: string[];
  files: LabelledFile[];
}

function classIndex(classes: string[]): Record<string, number> {
  const classToIdx: Record<string, number> = {};
  classes.forEach((c, i) => (classToIdx[c] = i));
  return classToIdx;
}

/**
 * torchvision `datasets.ImageFolder(root, transform)`: `root/<class>/<file>`; the classes are the
 * sub-folder names sorted (code-point order, like Python's `sorted`), `classToIdx` maps them to
 * 0..K−1, and `samples` lists `{path, label}` per class, each class's files (searched
 * recursively, only image extensions) sorted by path. The constructor scans the Node file system
 * once; {@link ImageFolder.fromFiles} (a picked folder's `File` list) and
 * {@link ImageFolder.fromUrls} (a URL list) build the same dataset, same order, without one.
 * @throws when root has no class folder, or when no image file is found (torchvision's
 *   "Found no valid file for the classes ..." error).
 */
export class ImageFolder<X = ImageU8> extends ImageListDataset<X> {
  readonly root: string;
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  constructor(root: string | ImageFolderListing, transform?: Transform<ImageU8, X>, opts: ImageFolderOptions = {}) {
    const listing = typeof root === 'string' ? ImageFolder.scan(root, opts) : root;
    super(listing.files, transform);
    this.root = listing.root;
    this.classes = listing.classes;
    this.classToIdx = classIndex(listing.classes);
  }

  private static scan(root: string, opts: ImageFolderOptions): ImageFolderListing {
    const exts = (opts.extensions ?? IMG_EXTENSIONS).map((e) => e.toLowerCase());
    const classes = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    if (classes.length === 0) throw new Error(`ImageFolder: couldn't find any class folder in ${root}.`);
    const classToIdx = classIndex(classes);
    const files: LabelledFile[] = [];
    const walk = (dir: string): string[] => {
      const out: string[] = [];
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        const st = statSync(p);
        if (st.isDirectory()) out.push(...walk(p));
        else if (st.isFile() && hasImageExtension(name, exts)) out.push(p);
      }
      return out;
    };
    for (const c of classes) for (const p of walk(join(root, c)).sort()) files.push({ path: p, label: classToIdx[c] });
    if (files.length === 0) throw new Error(`ImageFolder: found no valid file for the classes ${classes.join(', ')} in ${root}. Supported extensions are: ${exts.join(', ')}`);
    return { root, classes, files };
  }

  /**
   * Groups `/`-separated relative paths `<class>/<…>/<file>` (the first segment is the class)
   * into a listing like the file-system scan: classes sorted, each class's files sorted by path,
   * non-image names skipped, files directly in the root ignored (as torchvision does).
   */
  private static group<T>(items: Array<{ rel: string; item: T }>, root: string, opts: ImageFolderOptions, fn: string): { classes: string[]; byClass: Array<{ rel: string; item: T; label: number }> } {
    const exts = (opts.extensions ?? IMG_EXTENSIONS).map((e) => e.toLowerCase());
    const kept = items.filter(({ rel }) => rel.split('/').length >= 2);
    const classes = [...new Set(kept.map(({ rel }) => rel.split('/')[0]))].sort();
    if (classes.length === 0) throw new Error(`${fn}: couldn't find any class folder in ${root} (paths must look like <root>/<class>/<file>)`);
    const classToIdx = classIndex(classes);
    const byClass = kept.filter(({ rel }) => hasImageExtension(rel, exts))
      .map((x) => ({ ...x, label: classToIdx[x.rel.split('/')[0]] }))
      .sort((a, b) => a.label - b.label || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    if (byClass.length === 0) throw new Error(`${fn}: found no valid file for the classes ${classes.join(', ')} in ${root}. Supported extensions are: ${exts.join(', ')}`);
    return { classes, byClass };
  }

  /**
   * ImageFolder over a picked folder (`<input type=file webkitdirectory>`, whose `File`s carry
   * `webkitRelativePath` = `root/<class>/…/<file>`), or any `File`s given with such paths
   * (`{ file, path }`; Node 20+ too). The first path segment is the root (`root` below), the
   * second the class. Classes, labels and the order of `samples` are those of
   * `new ImageFolder(root)` over the same files on disk, so a DataLoader with the same seed gives
   * the same batches. `samples[i].path` is the relative path.
   * @throws when a file has no relative path with a class folder, when the files come from more
   *   than one root, or (as the constructor) when no class or no image is found.
   */
  static fromFiles<X = ImageU8>(files: ArrayLike<FileLike | { file: Blob; path: string }>, transform?: Transform<ImageU8, X>, opts: ImageFolderOptions = {}): ImageFolder<X> {
    const items = Array.from(files, (f) => {
      const file = f instanceof Blob ? f : f.file;
      const path = f instanceof Blob ? relativePathOf(f) : f.path;
      return { path: path.replace(/\\/g, '/').replace(/^\/+/, ''), file };
    });
    const roots = [...new Set(items.map(({ path }) => path.split('/')[0]))];
    if (items.some(({ path }) => path.split('/').length < 2)) {
      const bad = items.find(({ path }) => path.split('/').length < 2)!;
      throw new Error(`ImageFolder.fromFiles: '${bad.path}' has no folder in its path; pick a folder (webkitRelativePath 'root/<class>/<file>') or pass { file, path }`);
    }
    if (roots.length !== 1) throw new Error(`ImageFolder.fromFiles: the files come from ${roots.length} root folders (${roots.slice(0, 3).join(', ')}…); expected one`);
    const root = roots[0];
    const { classes, byClass } = ImageFolder.group(items.map((it) => ({ rel: it.path.slice(root.length + 1), item: it })), root, opts, 'ImageFolder.fromFiles');
    return new ImageFolder<X>({ root, classes, files: byClass.map(({ item, label }) => ({ path: item.path, file: item.file, label })) }, transform);
  }

  /**
   * ImageFolder over URLs below `root` (an http(s) folder with `<class>/<file>` under it, e.g.
   * `https://host/hymenoptera_data/train/`): each URL's first segment after `root` is its class;
   * order and labels as with the file-system constructor. Items are fetched when loaded.
   * @throws when a URL is not below `root`, or (as the constructor) no class / no image.
   */
  static fromUrls<X = ImageU8>(root: string | URL, urls: ArrayLike<string | URL>, transform?: Transform<ImageU8, X>, opts: ImageFolderOptions = {}): ImageFolder<X> {
    const base = String(root).endsWith('/') ? String(root) : `${root}/`;
    const items = Array.from(urls, (u) => {
      const url = String(u);
      if (!url.startsWith(base)) throw new Error(`ImageFolder.fromUrls: ${url} is not below ${base}`);
      return { rel: url.slice(base.length), item: url };
    });
    const { classes, byClass } = ImageFolder.group(items, base, opts, 'ImageFolder.fromUrls');
    return new ImageFolder<X>({ root: base, classes, files: byClass.map(({ item, label }) => ({ path: item, label })) }, transform);
  }

  /** `(path, label)` pairs, torchvision's `imgs` alias of `samples`. */
  get imgs(): ReadonlyArray<LabelledFile> {
    return this.samples;
  }
}
