// Node ESM resolve hook: load @tensorflow/* packages from their ES-module builds (the
// `module` field, dist/index.js) instead of their CommonJS node bundles, and resolve the
// extension-less / directory imports inside them. tfjs-core's gradient and chained-op
// registrations exist only in the ES-module build, and one copy of tfjs-core must serve the
// library, the tests and tfjs' own kernel tests. Registered by scripts/node-env.mjs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules');
const tfPkg = /^@tensorflow\/(tfjs-[a-z-]+)(\/.*)?$/;

function fileOrIndex(p) {
  if (existsSync(p) && statSync(p).isFile()) return p;
  if (existsSync(p + '.js')) return p + '.js';
  if (existsSync(join(p, 'index.js'))) return join(p, 'index.js');
  return null;
}

const shims = { seedrandom: join(dirname(fileURLToPath(import.meta.url)), 'shims', 'seedrandom.mjs') };

export async function resolve(specifier, context, next) {
  if (shims[specifier] && context.parentURL?.includes('/node_modules/@tensorflow/')) {
    return { url: pathToFileURL(shims[specifier]).href, format: 'module', shortCircuit: true };
  }
  const m = tfPkg.exec(specifier);
  if (m) {
    const pkgDir = join(root, '@tensorflow', m[1]);
    if (existsSync(join(pkgDir, 'package.json'))) {
      let target;
      if (!m[2]) {
        const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
        target = pkg.module ? join(pkgDir, pkg.module) : null;
      } else {
        target = fileOrIndex(join(pkgDir, m[2]));
      }
      if (target) return { url: pathToFileURL(target).href, format: 'module', shortCircuit: true };
    }
  }
  const parent = context.parentURL;
  if (parent && parent.includes('/node_modules/@tensorflow/') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const target = fileOrIndex(join(dirname(fileURLToPath(parent)), specifier));
    if (target) return { url: pathToFileURL(target).href, format: target.endsWith('.js') ? 'module' : undefined, shortCircuit: true };
  }
  return next(specifier, context);
}
