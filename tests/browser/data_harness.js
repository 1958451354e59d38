// In-page helpers for the data / transfer-learning check of tests/browser/run.mjs (loaded after
// dist/simdnet.browser.js into tests/browser/harness.html): loadPretrained with the IndexedDB
// cache, and an ImageFolder built from a File list in the page (webkitRelativePath layout),
// decoded with createImageBitmap, batched by a DataLoader on the main thread and with a Web
// Worker (dist/simdnet.decode-worker.js). Returns plain data; the runner checks it.
/* global simdnet */
(() => {
  const { tf } = simdnet;

  /** loadPretrained(url, {sha256}) twice (network, then IndexedDB offline), then a wrong SHA-256. */
  async function pretrainedCache({ url, sha256 }) {
    await simdnet.clearWeightsCache();
    await simdnet.ready({ prefer: ['simd'] });
    const sum = (m) => tf.tidy(() => tf.sum(m.conv1.weight).dataSync()[0]);
    const m1 = simdnet.models.lenet5({ initWeights: false });
    const first = await simdnet.loadPretrained(m1, url, { sha256 });
    const m2 = simdnet.models.lenet5({ initWeights: false });
    const second = await simdnet.loadPretrained(m2, url, { sha256, offline: true });
    const fail = (p) => p.then(() => null, (e) => e.message);
    const staleOffline = await fail(simdnet.loadPretrained(m2, url, { sha256: '0'.repeat(64), offline: true }));
    const mismatch = await fail(simdnet.loadPretrained(m2, url, { sha256: '0'.repeat(64) }));  // fetched again
    const out = {
      first: { cached: first.cached, path: first.path, sha256: first.sha256 },
      second: { cached: second.cached, path: second.path, sha256: second.sha256 },
      sums: [sum(m1), sum(m2)], staleOffline, mismatch,
    };
    m1.dispose();
    m2.dispose();
    return out;
  }

  /** PNG File of w×h RGB pixels `f(x, y, k)` (opaque), via OffscreenCanvas. */
  async function pngFile(path, w, h, f) {
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext('2d');
    const img = ctx.createImageData(w, h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 4; k++) img.data[(y * w + x) * 4 + k] = k === 3 ? 255 : f(x, y, k);
    ctx.putImageData(img, 0, 0);
    const blob = await c.convertToBlob({ type: 'image/png' });
    const file = new File([blob], path.split('/').pop(), { type: 'image/png' });
    Object.defineProperty(file, 'webkitRelativePath', { value: path });
    return file;
  }

  /** ImageFolder.fromFiles in the page; DataLoader batches on the main thread and with one Web Worker. */
  async function fileFolder({ workerUrl }) {
    const spec = [['pets/dog/b.png', 5, 4], ['pets/cat/z.png', 3, 6], ['pets/dog/a.png', 6, 4], ['pets/cat/sub/y.png', 4, 4], ['pets/notes.txt', 0, 0]];
    const files = [];
    for (const [path, w, h] of spec) {
      if (w) {
        files.push(await pngFile(path, w, h, (x, y, k) => (x * 40 + y * 7 + k * 90 + path.length) & 255));
      } else {
        const note = new File(['x'], 'notes.txt');  // a non-image file in the root: ignored
        Object.defineProperty(note, 'webkitRelativePath', { value: path });
        files.push(note);
      }
    }
    const ds = simdnet.data.ImageFolder.fromFiles(files);
    const raw = await ds.get(2);  // pets/dog/a.png
    let exact = raw.x.width === 6 && raw.x.height === 4;
    for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) for (let k = 0; k < 3; k++) {
      exact = exact && raw.x.data[(y * 6 + x) * 3 + k] === ((x * 40 + y * 7 + k * 90 + 'pets/dog/a.png'.length) & 255);
    }
    const T = simdnet.transforms;
    const t = new T.ImageTransform(4, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]).forPhase('train');
    const batches = async (workers) => {
      const l = new simdnet.data.DataLoader(simdnet.data.ImageFolder.fromFiles(files, t), { batchSize: 2, shuffle: true, seed: 3, workers, workerUrl });
      const out = [];
      for await (const b of l) {
        out.push({ x: Array.from(await b.x.data()), y: Array.from(await b.y.data()) });
        tf.dispose([b.x, b.y]);
      }
      const offThread = l.offThread;
      l.close();
      return { out, offThread };
    };
    const main = await batches(0), worker = await batches(1);
    return {
      classes: ds.classes, paths: ds.samples.map((s) => s.path), labels: ds.samples.map((s) => s.label), exact,
      browserDecoder: simdnet.data.usesBrowserDecoder(), main: main.out, worker: worker.out, offThread: worker.offThread,
    };
  }

  self.dataHarness = { pretrainedCache, fileFolder };
})();
