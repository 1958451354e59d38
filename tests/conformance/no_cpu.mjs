// The library imports tfjs-backend-cpu (its private instance serves delegated kernels), which
// registers a public 'cpu' backend as a side effect. Remove that backend so a spec can only
// ever run on 'simd'. The cpu *kernels* stay registered: the delegation looks them up.
import { removeBackend } from '@tensorflow/tfjs-core';
removeBackend('cpu');
