// tfjs-core's own kernel test suite (jasmine) against the `simd` backend. Bundled by esbuild
// (scripts/run-tests.mjs → build/conformance.cjs). Import order matters: everything that must
// exist before tfjs-core's describeWithFlags() calls run comes first.
import '../../src/index.ts';       // registers 'simd' (+ chained ops, gradients)
import './no_cpu.mjs';              // drop the public 'cpu' backend so no spec can use it silently
import './test_env.mjs';            // setTestEnvs + setupTestFilters
import '@tensorflow/tfjs-core/dist/tests';
import './guard.mjs';               // fail if the filters selected nothing
