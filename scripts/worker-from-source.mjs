// Entry of createWorker()'s Node worker when simdnet runs from source (src/*.ts under
// `node --import ./scripts/node-env.mjs`): Node 20 does not carry the main thread's module hooks
// (tsx, scripts/tfjs-esm-hooks.mjs) into worker_threads, and tsx registers itself only on the
// main thread there, so this registers both in the worker and then imports src/worker/worker.ts.
import { register, createRequire } from 'node:module';
globalThis.require ??= createRequire(import.meta.url);
register('./tfjs-esm-hooks.mjs', import.meta.url);
const { register: registerTsx } = await import('tsx/esm/api');
registerTsx();
await import(new URL('../src/worker/worker.ts', import.meta.url).href);
