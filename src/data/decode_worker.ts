/**
 * Entry of the decode worker scripts (dist/simdnet.decode-worker.cjs for Node `worker_threads`,
 * dist/simdnet.decode-worker.js for browser Web Workers; scripts/build-decode-worker.mjs). Each
 * request carries the file's bytes (transferred), a transform description (src/transforms/spec)
 * and the per-sample seed; the worker decodes (./sources.ts `decodeImageBytes`), applies the
 * transform with `new SeededRng(seed)` and transfers the result's buffer back. Requests are
 * independent (no state but a cache of built transforms).
 */
import { decodeImageBytes } from './sources.js';
import { transformFromSpec, type TransformSpec } from '../transforms/spec.js';
import type { HwcTensor, Transform } from '../transforms/transforms.js';
import { SeededRng } from '../nn/init.js';
import type { ImageU8 } from '../io/image.js';
import type { DecodeRequest, DecodeResponse } from './decode_pool.js';

const built = new Map<string, Transform<ImageU8, HwcTensor | ImageU8>>();

async function handle(req: DecodeRequest): Promise<{ res: DecodeResponse; transfer: ArrayBuffer[] }> {
  try {
    const img = await decodeImageBytes(new Uint8Array(req.bytes));
    let out: HwcTensor | ImageU8 = img;
    if (req.spec) {
      const key = JSON.stringify(req.spec);
      let t = built.get(key);
      if (!t) built.set(key, (t = transformFromSpec(req.spec as TransformSpec)));
      out = t.apply(img, new SeededRng(req.seed));
    }
    if ('shape' in out) {
      const data = out.data.byteOffset === 0 && out.data.byteLength === out.data.buffer.byteLength ? out.data : out.data.slice();
      return { res: { id: req.id, ok: true, kind: 'hwc', shape: out.shape, data }, transfer: [data.buffer as ArrayBuffer] };
    }
    const data = out.data.byteOffset === 0 && out.data.byteLength === out.data.buffer.byteLength ? out.data : out.data.slice();
    return { res: { id: req.id, ok: true, kind: 'u8', shape: [out.height, out.width, out.channels], data }, transfer: [data.buffer as ArrayBuffer] };
  } catch (e) {
    return { res: { id: req.id, ok: false, error: (e as Error).message ?? String(e) }, transfer: [] };
  }
}

type Port = { postMessage(m: unknown, t?: ArrayBuffer[]): void };
const nodePort = typeof process !== 'undefined' && typeof process.versions?.node === 'string'
  ? (process.getBuiltinModule?.('node:worker_threads') as typeof import('node:worker_threads') | undefined)?.parentPort ?? null
  : null;

if (nodePort) {
  nodePort.on('message', (req: DecodeRequest) => {
    void handle(req).then(({ res, transfer }) => nodePort.postMessage(res, transfer));
  });
} else {
  const scope = globalThis as unknown as Port & { onmessage: ((ev: MessageEvent) => void) | null };
  scope.onmessage = (ev: MessageEvent) => {
    void handle(ev.data as DecodeRequest).then(({ res, transfer }) => scope.postMessage(res, transfer));
  };
}
