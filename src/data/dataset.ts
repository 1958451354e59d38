/**
 * torch.utils.data.Dataset and torchvision's ImageFolder, for Node (file-system datasets).
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImage, type ImageU8 } from '../io/image.js';
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

/** A file and its class index (the chapter's `file_list` entries, with labels). */
export interface LabelledFile {
  path: string;
  label: number;
}

/**
 * A dataset over an explicit list of image files (the chapter's `make_datapath_list` + its
 * `HymenopteraDataset(file_list, transform, phase)`): `get(i)` reads `files[i].path`, decodes it
 * to RGB uint8 HWC (src/io `decodeImage`, PNG/JPEG) and applies `transform` (identity when
 * absent, giving the {@link ImageU8}). Node only (reads with `node:fs`).
 * @throws (from get) when the file cannot be read or decoded; the error names the file.
 */
export class ImageListDataset<X = ImageU8> implements Dataset<Sample<X>> {
  readonly samples: ReadonlyArray<LabelledFile>;
  constructor(files: ReadonlyArray<LabelledFile>, readonly transform?: Transform<ImageU8, X>) {
    for (const f of files) {
      if (typeof f?.path !== 'string' || !Number.isInteger(f.label) || f.label < 0) {
        throw new Error(`ImageListDataset: each entry needs a path string and a non-negative integer label, got ${JSON.stringify(f)}`);
      }
    }
    this.samples = files.slice();
  }
  get length(): number {
    return this.samples.length;
  }
  /** Reads, decodes and transforms item `i`. */
  async get(i: number, rng?: Rng): Promise<Sample<X>> {
    if (!(Number.isInteger(i) && i >= 0 && i < this.samples.length)) throw new Error(`${this.constructor.name}: index ${i} out of range 0..${this.samples.length - 1}`);
    const { path, label } = this.samples[i];
    let img: ImageU8;
    try {
      img = decodeImage(new Uint8Array(await readFile(path)));
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

/**
 * torchvision `datasets.ImageFolder(root, transform)`: `root/<class>/<file>`; the classes are the
 * sub-folder names sorted (code-point order, like Python's `sorted`), `classToIdx` maps them to
 * 0..K−1, and `samples` lists `{path, label}` per class, each class's files (searched
 * recursively, only image extensions) sorted by path. Node only (`node:fs`, scanned once in the
 * constructor).
 * @throws when root has no class folder, or when no image file is found (torchvision's
 *   "Found no valid file for the classes ..." error).
 */
export class ImageFolder<X = ImageU8> extends ImageListDataset<X> {
  readonly root: string;
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  constructor(root: string, transform?: Transform<ImageU8, X>, opts: ImageFolderOptions = {}) {
    const exts = (opts.extensions ?? IMG_EXTENSIONS).map((e) => e.toLowerCase());
    const classes = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    if (classes.length === 0) throw new Error(`ImageFolder: couldn't find any class folder in ${root}.`);
    const classToIdx: Record<string, number> = {};
    classes.forEach((c, i) => (classToIdx[c] = i));
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
    super(files, transform);
    this.root = root;
    this.classes = classes;
    this.classToIdx = classToIdx;
  }
  /** `(path, label)` pairs, torchvision's `imgs` alias of `samples`. */
  get imgs(): ReadonlyArray<LabelledFile> {
    return this.samples;
  }
}
