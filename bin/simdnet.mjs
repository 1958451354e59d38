#!/usr/bin/env node
// The simdnet CLI from a checkout: TypeScript sources run through tsx with tfjs' ES modules.
import '../scripts/node-env.mjs';
await import('../src/cli/main.ts');
