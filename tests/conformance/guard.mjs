// Imported after the tests: count the specs the filters select and fail the run if there are
// none (jasmine itself exits 0 on "Ran 0 of N specs"); attach the per-kernel reporter.
import { NATIVE_KERNELS } from '../../src/backend/index.ts';
import { kernelReporter } from './reporter.mjs';

const env = jasmine.getEnv();
const keep = env.configuration().specFilter;
let n = 0;
const walk = s => s.children.forEach(c => (c.children ? walk(c) : keep(c) && n++));
walk(env.topSuite());
console.log(`[simd] ${n} specs selected`);
if (n === 0) throw new Error('[simd] the filters selected no spec');
env.addReporter(kernelReporter(NATIVE_KERNELS));
