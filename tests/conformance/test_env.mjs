// Must be evaluated BEFORE '@tensorflow/tfjs-core/dist/tests' (ESM import order).
import { getKernelsForBackend } from '@tensorflow/tfjs-core';
import { setTestEnvs, setupTestFilters } from '@tensorflow/tfjs-core/dist/jasmine_util';
import { NATIVE_KERNELS } from '../../src/backend/index.ts';
import { buildFilters } from './filters.mjs';

jasmine.DEFAULT_TIMEOUT_INTERVAL = 20000;  // tfjs intends 20 s; its own line is a no-op here
setTestEnvs([{ name: 'simd', backendName: 'simd', isDataSync: true }]);
const registered = getKernelsForBackend('simd').map(k => k.kernelName);
const { filters, customInclude } = buildFilters(registered, NATIVE_KERNELS);
setupTestFilters(filters, customInclude);
