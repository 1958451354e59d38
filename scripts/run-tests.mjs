// `npm test`: the uvu suites (tests/**/*.test.ts, in Node with tsx + tfjs ES modules),
// tfjs-core's own kernel tests against `simd` (scripts/conformance.mjs) and the browser tests
// (tests/browser/run.mjs: Chromium, needs /usr/bin/chromium), then one line
// `N passed, N failed` with the totals of all three. Exit code 1 when anything failed.
//   node scripts/run-tests.mjs [uvu-file-pattern]    e.g.  'conv'  to run matching files only
import { spawnSync } from 'node:child_process';

const pattern = process.argv[2];
const strip = s => s.replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0, failed = 0;

function run(label, args, parse) {
  console.log(`\n=== ${label} ===`);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  const counts = parse(strip(r.stdout + r.stderr));
  if (counts === null || (r.status !== 0 && counts.failed === 0)) {
    console.log(`[${label}] runner exited with ${r.status} without a readable result`);
    failed += 1;
    return;
  }
  passed += counts.passed;
  failed += counts.failed;
}

// uvu prints "Total: N / Passed: N / Skipped: N".
run('unit tests (uvu)', ['--import', './scripts/node-env.mjs', 'node_modules/uvu/bin.js', 'tests',
  pattern ? `${pattern}.*\\.test\\.ts$` : '\\.test\\.ts$'], out => {
  const t = /Total:\s+(\d+)/.exec(out), p = /Passed:\s+(\d+)/.exec(out);
  return t && p ? { passed: +p[1], failed: +t[1] - +p[1] } : null;
});
if (!pattern) {
  run('tfjs-core kernel tests on simd (jasmine)', ['scripts/conformance.mjs'], out => {
    const m = /\[simd\] conformance: (\d+) passed, (\d+) failed/.exec(out);
    return m ? { passed: +m[1], failed: +m[2] } : null;
  });
  run('browser tests (Chromium: page + workers, simd + webgl, demo)', ['--import', './scripts/node-env.mjs', 'tests/browser/run.mjs'], out => {
    const m = /^browser: (\d+) passed, (\d+) failed$/m.exec(out);
    return m ? { passed: +m[1], failed: +m[2] } : null;
  });
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
