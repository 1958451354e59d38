// Entry of the simdnet kernel module. Every export is a pointer-based, allocation-free
// kernel over the linear memory that the JS side (src/backend/heap.ts) manages.
// One file per kernel family; the exported names are what src/backend/kernels/*.ts call.

/** First byte of linear memory that the JS heap allocator may hand out. */
export function heapBase(): usize {
  return __heap_base;
}

export * from './elementwise';
export * from './reduce';
export * from './gemm';
export * from './conv';
export * from './conv_backprop';
export * from './pool';
export * from './roi';
export * from './resize';
export * from './ops';
export * from './bench';
