// `node --import ./scripts/node-env.mjs file.ts`: TypeScript (tsx) plus the tfjs ES-module
// resolution of scripts/tfjs-esm-hooks.mjs, for the CLI, tests and benchmarks in Node.
// tfjs' ES modules call `require()` for Node built-ins (platform_node.js): give them one.
import { register, createRequire } from 'node:module';
globalThis.require ??= createRequire(import.meta.url);
register('./tfjs-esm-hooks.mjs', import.meta.url);
await import('tsx/esm');
