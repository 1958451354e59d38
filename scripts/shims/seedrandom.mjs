// seedrandom is CommonJS and attaches its generators as properties (sr.alea = …), which
// Node's CJS named-export detection misses; tfjs-core's ES modules do `seedrandom.alea(…)`.
import { createRequire } from 'node:module';
const sr = createRequire(import.meta.url)('seedrandom');
export default sr;
export const { alea, xor128, xorwow, xorshift7, xor4096, tychei } = sr;
