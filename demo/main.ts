/**
 * The demo page's script (demo/index.html; served and bundled by demo/serve.mjs, `npm run demo`).
 * Uses the self-contained bundle dist/simdnet.browser.js (global `simdnet`): LeNet-5 with the
 * trained Fashion-MNIST weights classifies a test image (the embedded 1,000-image sample) or an
 * uploaded picture on simd, webgl or cpu, in the page; shows the top-3 classes and, per backend,
 * the init time, the first (cold) inference and the warm times.
 */
import type * as Simdnet from '../src/browser';

declare const simdnet: typeof Simdnet;
type Model = ReturnType<typeof simdnet.models.lenet5>;

const { tf } = simdnet;
const CLASSES = simdnet.idx.FASHION_MNIST_CLASSES;
const SHOWN = 30;

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const status = $<HTMLParagraphElement>('#status');

function setStatus(text: string, state: 'loading' | 'running' | 'done' | 'error'): void {
  status.textContent = text;
  status.dataset.state = state;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Per-backend timings for the table. */
const timings = new Map<string, { initMs: number; firstMs?: number; times: number[] }>();

function renderTimings(): void {
  const body = $<HTMLTableSectionElement>('#timings tbody');
  body.replaceChildren(...[...timings].map(([name, t]) => {
    const sorted = [...t.times].sort((a, b) => a - b);
    const cells = [name, t.initMs.toFixed(1), t.firstMs?.toFixed(1) ?? '–', t.times.at(-1)?.toFixed(2) ?? '–',
      sorted.length ? sorted[Math.floor(sorted.length / 2)].toFixed(2) : '–', String(t.times.length)];
    const tr = document.createElement('tr');
    for (const c of cells) tr.appendChild(Object.assign(document.createElement('td'), { textContent: c }));
    return tr;
  }));
}

/** Gray 28×28 pixels (0..255, light item on black like Fashion-MNIST) drawn into a canvas. */
function draw(canvas: HTMLCanvasElement, px: Uint8Array): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) img.data.set([px[i], px[i], px[i], 255], i * 4);
  ctx.putImageData(img, 0, 0);
}

/** An uploaded picture → 28×28 gray, inverted when its border is light (items are light on black). */
async function imageToPixels(file: Blob): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(file);
  const canvas = Object.assign(document.createElement('canvas'), { width: 28, height: 28 });
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, 28, 28);
  const rgba = ctx.getImageData(0, 0, 28, 28).data;
  const px = new Uint8Array(784);
  for (let i = 0; i < 784; i++) px[i] = Math.round(0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2]);
  let border = 0;
  for (let i = 0; i < 28; i++) border += px[i] + px[27 * 28 + i] + px[i * 28] + px[i * 28 + 27];
  if (border / (4 * 28) > 127) for (let i = 0; i < 784; i++) px[i] = 255 - px[i];
  return px;
}

async function main(): Promise<void> {
  setStatus('loading weights and the sample images…', 'loading');
  const [weights, images, labels] = await Promise.all([
    fetchBytes('/assets/lenet5-fashion-mnist.safetensors'),
    fetchBytes('/assets/fashion-mnist-sample-images-idx3-ubyte.gz').then(b => simdnet.idx.loadIdx(b)),
    fetchBytes('/assets/fashion-mnist-sample-labels-idx1-ubyte.gz').then(b => simdnet.idx.loadIdx(b)),
  ]);
  const pixels = images.data as Uint8Array;
  const truth = labels.data as Uint8Array;

  let backend = 'simd';
  let current: { px: Uint8Array; label: string } = { px: pixels.subarray(0, 784), label: `test image 0: ${CLASSES[truth[0]]}` };
  const preview = $<HTMLCanvasElement>('#preview');

  // The model: built once; tfjs moves its weights when the backend changes.
  let model: Model | null = null;

  async function useBackend(name: string): Promise<boolean> {
    const t0 = performance.now();
    try {
      const sel = await simdnet.ready({ prefer: [name] });
      backend = sel.backend;
    } catch (e) {
      setStatus(`${name} is not usable here: ${(e as Error).message.split('\n').slice(1).join(' ').trim()}`, 'error');
      return false;
    }
    if (!timings.has(name)) timings.set(name, { initMs: performance.now() - t0, times: [] });
    if (model === null) {
      model = simdnet.models.lenet5();
      model.loadStateDict(simdnet.safetensors.parseSafetensors(weights).tensors, { strict: true });
      model.eval();
    }
    return true;
  }

  /** Classifies the current image `repeat` times on the active backend and shows the result. */
  async function predict(repeat = 1): Promise<void> {
    draw(preview, current.px);
    $('#truth').textContent = current.label;
    setStatus(`running on ${backend}…`, 'running');
    const m = model!;
    const x = new Float32Array(784);
    for (let i = 0; i < 784; i++) x[i] = (current.px[i] / 255 - simdnet.FASHION_MNIST_MEAN) / simdnet.FASHION_MNIST_STD;
    let p: Float32Array = new Float32Array(10), ms = 0;
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      const y = tf.tidy(() => tf.softmax(m.forward(tf.tensor4d(x, [1, 28, 28, 1]))));
      p = (await y.data()) as Float32Array;
      ms = performance.now() - t0;
      y.dispose();
      const t = timings.get(backend)!;
      if (t.firstMs === undefined) t.firstMs = ms;
      else t.times.push(ms);
    }
    const top = Array.from(p, (v, c) => ({ v, c })).sort((a, b) => b.v - a.v).slice(0, 3);
    $('#prediction').replaceChildren(...top.map(({ v, c }, i) => {
      const row = document.createElement('div');
      row.className = `bar${i === 0 ? ' top' : ''}`;
      row.innerHTML = `<span></span><span class="track"><span class="fill" style="width:${(v * 100).toFixed(1)}%"></span></span><span></span>`;
      row.children[0].textContent = CLASSES[c];
      row.children[2].textContent = `${(v * 100).toFixed(1)}%`;
      return row;
    }));
    renderTimings();
    setStatus(`${CLASSES[top[0].c]} · ${backend} · ${ms.toFixed(2)} ms`, 'done');
  }

  // Sample strip.
  const strip = $('#samples');
  const thumbs = Array.from({ length: SHOWN }, (_, i) => {
    const c = Object.assign(document.createElement('canvas'), { width: 28, height: 28, title: CLASSES[truth[i]] });
    draw(c, pixels.subarray(i * 784, (i + 1) * 784));
    c.addEventListener('click', () => select(i));
    strip.appendChild(c);
    return c;
  });
  function select(i: number): void {
    thumbs.forEach((c, j) => c.classList.toggle('sel', j === i));
    current = { px: pixels.subarray(i * 784, (i + 1) * 784), label: `test image ${i}: ${CLASSES[truth[i]]}` };
    void predict();
  }
  $('#random').addEventListener('click', () => {
    const i = Math.floor(Math.random() * images.shape[0]);
    thumbs.forEach(c => c.classList.remove('sel'));
    current = { px: pixels.subarray(i * 784, (i + 1) * 784), label: `test image ${i}: ${CLASSES[truth[i]]}` };
    void predict();
  });
  $<HTMLInputElement>('#upload').addEventListener('change', async e => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    thumbs.forEach(c => c.classList.remove('sel'));
    current = { px: await imageToPixels(file), label: `uploaded: ${file.name}` };
    await predict();
  });
  for (const radio of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=backend]'))) {
    radio.addEventListener('change', async () => {
      if (await useBackend(radio.value)) await predict();
    });
  }
  // Each backend: a first inference (cold on a backend not used yet) and 5 warm ones.
  $('#all').addEventListener('click', async () => {
    for (const name of ['simd', 'webgl', 'cpu']) {
      if (await useBackend(name)) {
        $<HTMLInputElement>(`input[value=${name}]`).checked = true;
        await predict(6);
      }
    }
  });

  // The best backend here, and why the others were skipped.
  const t0 = performance.now();
  const first = await simdnet.ready();
  timings.set(first.backend, { initMs: performance.now() - t0, times: [] });
  $('#ready').textContent = `ready() picked ${first.backend}` +
      (first.reasons.length ? `; skipped: ${first.reasons.join('; ')}` : ' (first choice, nothing skipped)');
  $<HTMLInputElement>(`input[value=${first.backend}]`).checked = true;
  await useBackend(first.backend);
  select(0);
}

main().catch(e => setStatus(`error: ${(e as Error).message}`, 'error'));
