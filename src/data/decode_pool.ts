/**
 * A pool of decode workers for the DataLoader (`workers: n`): Node `worker_threads` or browser
 * Web Workers running the decode worker script (./decode_worker.ts, built to
 * dist/simdnet.decode-worker.cjs / .js by scripts/build-decode-worker.mjs). Each task sends an
 * image file's bytes (transferred, not copied), a transform description and a per-sample seed;
 * the result (HWC float32 or uint8) comes back transferred. Tasks go to the worker with the
 * fewest in flight. Node workers are `unref`'d while idle, so an unclosed pool never keeps the
 * process alive; `close()` terminates them.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import type { ImageU8 } from '../io/image.js';
import type { HwcTensor } from '../transforms/transforms.js';
import type { TransformSpec } from '../transforms/spec.js';

/** Main thread → worker. */
export interface DecodeRequest {
  id: number;
  bytes: ArrayBuffer;
  spec: TransformSpec | null;
  seed: number;
}

/** Worker → main thread. `shape` is [H, W, C] for both kinds. */
export type DecodeResponse =
  | { id: number; ok: true; kind: 'hwc'; shape: [number, number, number]; data: Float32Array }
  | { id: number; ok: true; kind: 'u8'; shape: [number, number, number]; data: Uint8Array }
  | { id: number; ok: false; error: string };

interface Slot {
  post(m: DecodeRequest, transfer: ArrayBuffer[]): void;
  terminate(): void;
  ref(busy: boolean): void;
  inFlight: number;
}

type Pending = { slot: Slot; resolve(v: HwcTensor | ImageU8): void; reject(e: Error): void };

const isNode = () => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * The default decode worker script: next to this module's bundle (`simdnet.decode-worker.cjs` in
 * Node, `.js` in browsers); from source (tsx), the repository's dist/.
 */
export function defaultDecodeWorkerUrl(): string | URL {
  const file = isNode() ? 'simdnet.decode-worker.cjs' : 'simdnet.decode-worker.js';
  let here: string | undefined;
  try {
    here = import.meta.url;
  } catch {
    here = undefined;
  }
  if (typeof here === 'string' && here) return new URL(here.endsWith('.ts') ? `../../dist/${file}` : `./${file}`, here);
  if (typeof __dirname === 'string') return `${__dirname}/${file}`; // the plain-Node CommonJS bundle
  throw new Error('DataLoader workers: cannot locate the decode worker script; pass workerUrl');
}

/** See the module comment. Create through a DataLoader with `workers: n`. */
export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;

  /**
   * Starts `n` workers from `url` (default {@link defaultDecodeWorkerUrl}).
   * @throws when `n` is not a positive integer or no Worker implementation exists.
   */
  constructor(readonly size: number, url?: string | URL) {
    if (!(Number.isInteger(size) && size > 0)) throw new Error(`DecodePool: size must be a positive integer, got ${size}`);
    const where = url ?? defaultDecodeWorkerUrl();
    for (let k = 0; k < size; k++) this.slots.push(this.start(where));
  }

  private start(url: string | URL): Slot {
    const onMessage = (res: DecodeResponse) => this.receive(res);
    if (isNode()) {
      const wt = process.getBuiltinModule?.('node:worker_threads') as typeof import('node:worker_threads') | undefined;
      if (!wt) throw new Error('DataLoader workers: node:worker_threads unavailable (Node.js >= 20.16 needed)');
      const w: NodeWorker = new wt.Worker(url instanceof URL ? url : String(url));
      w.unref();
      const slot: Slot = {
        post: (m, t) => w.postMessage(m, t),
        terminate: () => void w.terminate(),
        ref: (busy) => (busy ? w.ref() : w.unref()),
        inFlight: 0,
      };
      w.on('message', onMessage);
      w.on('error', (e: Error) => this.fail(slot, new Error(`decode worker failed: ${e.message}`)));
      w.on('exit', (code) => this.fail(slot, new Error(`decode worker exited with code ${code}`)));
      return slot;
    }
    if (typeof Worker !== 'function') throw new Error('DataLoader workers: no Worker in this environment');
    const w = new Worker(url);
    const slot: Slot = {
      post: (m, t) => w.postMessage(m, t),
      terminate: () => w.terminate(),
      ref: () => undefined,
      inFlight: 0,
    };
    w.onmessage = (ev: MessageEvent) => onMessage(ev.data as DecodeResponse);
    w.onerror = (ev: ErrorEvent) => {
      ev.preventDefault?.();
      this.fail(slot, new Error(`decode worker failed to start or crashed (${ev.message || String(url)})`));
    };
    return slot;
  }

  /**
   * Decodes `bytes` (PNG/JPEG; the buffer is transferred: `bytes` is detached afterwards unless it
   * is a view over part of a larger buffer, which is copied) and applies `spec` (null: none) with
   * `new SeededRng(seed)`.
   * @returns HWC float32 ({@link HwcTensor}) when the pipeline ends in ToTensor, else the uint8 image.
   * @throws Error with the worker's decode/transform message, or when the worker died.
   */
  run(bytes: Uint8Array, spec: TransformSpec | null, seed: number): Promise<HwcTensor | ImageU8> {
    if (this.dead) return Promise.reject(new Error(this.dead.message));
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const buf = (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { slot, resolve, reject });
      if (slot.inFlight++ === 0) slot.ref(true);
      slot.post({ id, bytes: buf, spec, seed: seed >>> 0 }, [buf]);
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    if (--p.slot.inFlight === 0) p.slot.ref(false);
    return p;
  }

  private receive(res: DecodeResponse): void {
    const p = this.settle(res.id);
    if (!p) return;
    if (!res.ok) p.reject(new Error(res.error));
    else if (res.kind === 'hwc') p.resolve({ shape: res.shape, data: res.data });
    else p.resolve({ height: res.shape[0], width: res.shape[1], channels: res.shape[2], data: res.data });
  }

  private fail(slot: Slot, e: Error): void {
    if (!this.dead) this.dead = e;
    for (const [id, p] of [...this.pending]) if (p.slot === slot) this.settle(id)?.reject(e);
  }

  /** Terminates the workers; tasks in flight are rejected. Idempotent. */
  close(): void {
    if (this.dead?.message === 'DecodePool closed') return;
    const e = new Error('DecodePool closed');
    this.dead = e;
    for (const [id] of [...this.pending]) this.settle(id)?.reject(e);
    for (const s of this.slots) s.terminate();
  }
}
