// In-page helpers for tests/browser/run.mjs (loaded after dist/simdnet.browser.js, which defines
// the global `simdnet`). Each returns plain data; the runner compares it with Node's results.
/* global simdnet */
(() => {
  const { tf } = simdnet;

  async function bytes(url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  async function floats(url) {
    const b = await bytes(url);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }
  const median = a => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const outcome = p => p.then(() => 'resolved', e => `${e.name}: ${e.message}`);

  /**
   * Page, main thread: a zoo model on one backend; cold (first) and warm (median) forward times.
   * `options` go to the model factory besides `initWeights: false` (e.g. `{ auxLoss: true }`).
   */
  async function page({ model, backend, weights, input, shape, warm = 5, options = {} }) {
    const t0 = performance.now();
    const sel = await simdnet.ready({ prefer: [backend] });
    const initMs = performance.now() - t0;
    const tensorsBefore = tf.memory().numTensors;
    const file = simdnet.safetensors.parseSafetensors(await bytes(weights));
    const m = simdnet.models[model]({ initWeights: false, ...options });
    m.loadStateDict(file.tensors, { strict: true });
    m.eval();
    const x = await floats(input);
    const run = async () => {
      const y = tf.tidy(() => m.forward(tf.tensor4d(x, shape)));
      try {
        return { data: await y.data(), shape: y.shape };
      } finally {
        y.dispose();
      }
    };
    let t = performance.now();
    const first = await run();
    const coldMs = performance.now() - t;
    const times = [];
    for (let i = 0; i < warm; i++) {
      t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    m.dispose();
    return {
      backend: tf.getBackend(), reasons: sel.reasons, output: Array.from(first.data), shape: first.shape,
      initMs, coldMs, warmMs: median(times), leakedTensors: tf.memory().numTensors - tensorsBefore,
    };
  }

  /** The same in a worker (createWorker with the default worker URL next to the bundle). */
  async function worker({ model, backend, weights, input, shape, warm = 5, options }) {
    const t0 = performance.now();
    const w = simdnet.createWorker({ prefer: [backend] });
    try {
      const sel = await w.ready;
      const initMs = performance.now() - t0;
      const loaded = await w.load({ model, weights, options });
      const x = await floats(input);
      let t = performance.now();
      const first = await w.predict(x.slice(), shape);
      const coldMs = performance.now() - t;
      const times = [], inWorker = [];
      for (let i = 0; i < warm; i++) {
        t = performance.now();
        const r = await w.predict(x.slice(), shape);
        times.push(performance.now() - t);
        inWorker.push(r.ms);
      }
      return {
        backend: first.backend, reasons: sel.reasons, output: Array.from(first.output), shape: first.shape,
        initMs, loadMs: loaded.ms, coldMs, warmMs: median(times), warmWorkerMs: median(inWorker),
      };
    } finally {
      await w.dispose();
    }
  }

  /**
   * The src/ops cases of op_cases.mjs (the same file Node's reference runs) on one backend:
   * every output, flat, with its shape; and the tensors left over afterwards.
   */
  async function opsPage({ backend }) {
    const sel = await simdnet.ready({ prefer: [backend] });
    const { opCases } = await import('/tests/browser/op_cases.mjs');
    const before = tf.memory().numTensors;
    const out = [];
    const t0 = performance.now();
    for (const c of opCases({ tf, ops: simdnet.ops, nn: simdnet.nn })) {
      const y = tf.tidy(c.run);
      try {
        out.push({ name: c.name, shape: y.shape, output: Array.from(await y.data()) });
      } finally {
        y.dispose();
      }
    }
    return { backend: tf.getBackend(), reasons: sel.reasons, cases: out, ms: performance.now() - t0, leakedTensors: tf.memory().numTensors - before };
  }

  /** Errors come back as rejections with the worker's message, and the worker carries on. */
  async function workerErrors({ weights, wrongWeights, input }) {
    const w = simdnet.createWorker({ prefer: ['simd'] });
    const r = {};
    const one = x => x.slice(0, 784);
    r.beforeLoad = await outcome(w.predict(new Float32Array(784), [1, 28, 28, 1]));
    r.wrongWeights = await outcome(w.load({ model: 'lenet5', weights: wrongWeights }));
    r.notFound = await outcome(w.load({ model: 'lenet5', weights: '/no/such/weights.safetensors' }));
    r.unknownModel = await outcome(w.load({ model: 'lenet6', weights }));
    await w.load({ model: 'lenet5', weights });
    const x = await floats(input);
    r.badShape = await outcome(w.predict(one(x), [1, 28, 28, 3]));
    r.badLength = await outcome(w.predict(one(x), [2, 28, 28, 1]));
    const good = await w.predict(one(x), [1, 28, 28, 1]);
    r.afterBad = { shape: good.shape, output: Array.from(good.output) };
    // 8 overlapping requests, one image each: answers matched by id, in any completion order.
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => w.predict(x.slice(i * 784, (i + 1) * 784), [1, 28, 28, 1])));
    r.concurrent = all.map(p => Array.from(p.output));
    const nchw = await w.predict(one(x), [1, 1, 28, 28], { layout: 'NCHW' });
    r.nchw = Array.from(nchw.output);
    const t = one(x);
    await w.predict(t, [1, 28, 28, 1]);
    r.transferred = t.length === 0;  // the buffer moved to the worker (no copy)
    await w.dispose();
    r.afterDispose = await outcome(w.predict(one(x), [1, 28, 28, 1]));
    const lost = simdnet.createWorker({ url: '/no/such/worker.js' });
    r.missingScript = await outcome(lost.ready);
    await lost.dispose();
    return r;
  }

  /** Page and bundles on different origins (a CDN): the default worker URL is cross-origin. */
  async function cdnWorker({ weights, input }) {
    const x = (await floats(input)).slice(0, 784);
    const w = simdnet.createWorker({ prefer: ['simd'] });
    try {
      const sel = await w.ready;
      await w.load({ model: 'lenet5', weights });
      const r = await w.predict(x, [1, 28, 28, 1]);
      const bundle = document.querySelector('script[src*="simdnet.browser.js"]').src;
      return { ...sel, output: Array.from(r.output), bundleOrigin: new URL(bundle).origin, pageOrigin: location.origin };
    } finally {
      await w.dispose();
    }
  }

  /** A worker started from a Blob URL, and one given a precompiled WebAssembly.Module. */
  async function workerBlobAndModule({ weights, input, wasm }) {
    const x = (await floats(input)).slice(0, 784);
    const out = {};
    const w1 = simdnet.createWorker({ blob: true, prefer: ['simd'] });
    try {
      await w1.load({ model: 'lenet5', weights });
      out.blob = { ...(await w1.ready), output: Array.from((await w1.predict(x.slice(), [1, 28, 28, 1])).output) };
    } finally {
      await w1.dispose();
    }
    const module = await WebAssembly.compile(await bytes(wasm));
    const w2 = simdnet.createWorker({ wasm: module, prefer: ['simd'] });
    try {
      await w2.load({ model: 'lenet5', weights: await bytes(weights) });
      out.module = { ...(await w2.ready), output: Array.from((await w2.predict(x.slice(), [1, 28, 28, 1])).output) };
    } finally {
      await w2.dispose();
    }
    return out;
  }

  /** Two workers load the same URL with cache: the second must not touch the network. */
  async function workerCache({ url, input }) {
    await simdnet.clearWeightsCache();
    const x = (await floats(input)).slice(0, 784);
    const w1 = simdnet.createWorker({ prefer: ['simd'] });
    const first = await w1.load({ model: 'lenet5', weights: url, cache: true });
    await w1.dispose();
    const w2 = simdnet.createWorker({ prefer: ['simd'] });
    const second = await w2.load({ model: 'lenet5', weights: url, cache: true });
    const r = await w2.predict(x, [1, 28, 28, 1]);
    await w2.dispose();
    return { first: first.fromCache, second: second.fromCache, output: Array.from(r.output) };
  }

  /** ready() with its defaults, and what the page offers. */
  async function readyDefault() {
    const sel = await simdnet.ready();
    return {
      ...sel,
      wasmVariant: simdnet.wasmVariant,
      crossOriginIsolated: self.crossOriginIsolated === true,
      sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
      webglVersion: tf.env().getNumber('WEBGL_VERSION'),
      float32RenderTargets: tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE'),
    };
  }

  /** webgl forced to half-float textures: skipped by default, accepted with allowHalfFloat. */
  async function halfFloat() {
    tf.env().set('WEBGL_FORCE_F16_TEXTURES', true);
    const strict = await simdnet.ready({ prefer: ['webgl', 'cpu'] });
    const relaxed = await simdnet.ready({ prefer: ['webgl'], allowHalfFloat: true });
    return { strict, relaxed };
  }

  /** setWasmSource(bytes) before the backend starts; then the known-answer conv on simd. */
  async function customWasm({ wasm }) {
    simdnet.setWasmSource(await bytes(wasm));
    const sel = await simdnet.ready({ prefer: ['simd'] });
    const failure = await simdnet.knownAnswerCheck();
    return { ...sel, wasmVariant: simdnet.wasmVariant, failure };
  }

  self.harness = { page, worker, opsPage, workerErrors, cdnWorker, workerBlobAndModule, workerCache, readyDefault, halfFloat, customWasm };
})();
