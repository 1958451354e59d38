// `npm run demo`: builds the bundles if needed, serves the demo page on 127.0.0.1 and prints its
// URL. demo/main.ts is bundled on each request with esbuild (it uses the global `simdnet` of
// dist/simdnet.browser.js, so it stays tiny). PORT=… picks the port (default 8080, else a free one).
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBundles, ROOT } from '../tests/browser/bundles.mjs';
import { startServer } from '../tests/browser/server.mjs';

/** The demo's generated files, for startServer's `routes` (also used by tests/browser/run.mjs). */
export function demoRoutes() {
  return {
    '/demo/main.js': () => {
      const r = buildSync({
        entryPoints: [join(ROOT, 'demo', 'main.ts')], bundle: true, format: 'iife', target: 'es2020', write: false,
        logLevel: 'silent',
      });
      return { type: 'text/javascript', body: r.outputFiles[0].contents };
    },
  };
}

/** The demo's directories, for startServer's `mounts`. */
export const demoMounts = {
  '/demo/': join(ROOT, 'demo'), '/dist/': join(ROOT, 'dist'), '/assets/': join(ROOT, 'assets'),
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureBundles();
  const want = Number(process.env.PORT ?? 8080);
  const server = await startServer({ mounts: demoMounts, routes: demoRoutes(), port: want })
    .catch(() => startServer({ mounts: demoMounts, routes: demoRoutes(), port: 0 }));
  console.log(`simdnet demo: ${server.url}/demo/   (Ctrl-C to stop)`);
}
