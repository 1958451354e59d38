// A tiny static HTTP server on 127.0.0.1 for the browser tests and the demo (`npm run demo`).
// No COOP/COEP headers: nothing in simdnet needs SharedArrayBuffer or cross-origin isolation.
// `access-control-allow-origin: *` as a CDN sends it.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.cjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm',
  '.png': 'image/png', '.gz': 'application/gzip', '.svg': 'image/svg+xml',
};

/**
 * Starts the server.
 * @param {object} opts
 * @param {Record<string, string>} opts.mounts URL prefix (ending in '/') -> directory.
 * @param {Record<string, () => (Uint8Array|string|{type: string, body: Uint8Array|string})>} [opts.routes]
 *   exact paths answered from memory (fixtures computed by the test runner).
 * @param {number} [opts.port] 0 (default) = a free port.
 * @returns {Promise<{ url: string, hits: Map<string, number>, close(): Promise<void> }>} `hits`
 *   counts requests per path (the weights-cache test checks that a cached file is not fetched).
 */
export async function startServer({ mounts, routes = {}, port = 0 }) {
  const hits = new Map();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    hits.set(path, (hits.get(path) ?? 0) + 1);
    // CORS like a CDN (the cross-origin worker check loads the bundles from a second server).
    res.setHeader('access-control-allow-origin', '*');
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (routes[path]) {
      const r = routes[path]();
      if (typeof r === 'object' && r !== null && 'body' in r) return send(200, r.type, r.body);
      return send(200, typeof r === 'string' ? 'text/plain' : 'application/octet-stream', r);
    }
    const prefix = Object.keys(mounts).filter(p => path.startsWith(p)).sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined) return send(404, 'text/plain', 'not found');
    const dir = mounts[prefix];
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (file !== dir && !file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return send(403, 'text/plain', 'forbidden');
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const st = statSync(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-store',
      });
      createReadStream(file).pipe(res);
    } catch {
      send(404, 'text/plain', 'not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    hits,
    close: () => new Promise(resolve => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
