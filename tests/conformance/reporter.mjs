// Counts, per native kernel, the specs whose names match its KERNEL_TESTS prefixes, and
// prints one summary line per kernel plus the totals line read by scripts/run-tests.mjs.
import { KERNEL_TESTS, prefixOf } from './filters.mjs';

export function kernelReporter(native) {
  const counts = Object.fromEntries(native.map(k => [k, { passed: 0, failed: 0 }]));
  const total = { passed: 0, failed: 0, pending: 0 };
  return {
    specDone(r) {
      if (r.status === 'excluded') return;
      if (r.status === 'pending') { total.pending++; return; }
      const ok = r.status === 'passed';
      total[ok ? 'passed' : 'failed']++;
      for (const k of native) {
        if ((KERNEL_TESTS[k] ?? []).some(p => r.fullName.startsWith(prefixOf(p)))) counts[k][ok ? 'passed' : 'failed']++;
      }
    },
    jasmineDone() {
      for (const k of native) {
        const c = counts[k];
        console.log(`[simd] ${k.padEnd(24)} ${String(c.passed + c.failed).padStart(4)} specs, ${c.failed} failed`);
      }
      console.log(`[simd] conformance: ${total.passed} passed, ${total.failed} failed, ${total.pending} pending`);
    },
  };
}
