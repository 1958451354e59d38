// Builds tests/conformance/entry.mjs with esbuild into build/conformance.cjs and runs it
// with jasmine. Recipe and pitfalls: ../shared/conformance.md.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';

await build({
  entryPoints: ['tests/conformance/entry.mjs'],
  bundle: true, platform: 'node', format: 'cjs',
  mainFields: ['module', 'main'],
  ignoreAnnotations: true,
  alias: { 'jasmine-core/lib/jasmine-core/jasmine.js': './tests/conformance/jasmine_core_shim.cjs' },
  outfile: 'tests/conformance/build/conformance.cjs',
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, ['node_modules/jasmine/bin/jasmine.js',
  '--config=tests/conformance/jasmine.json', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
