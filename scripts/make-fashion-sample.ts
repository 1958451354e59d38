// Writes the embedded Fashion-MNIST sample used by `npm start`: the first 100 test images of
// each class (1,000 in all, in test-set order) as gzipped IDX files under assets/.
//   node --import ./scripts/node-env.mjs scripts/make-fashion-sample.ts [/usr/share/datasets/fashion-mnist]
import { gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { loadFashionMnist, serializeIdx } from '../src/io/index';

const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const test = await loadFashionMnist(dir, 'test');
const perClass = new Array(10).fill(0);
const pick: number[] = [];
for (let i = 0; i < test.n && pick.length < 1000; i++) {
  if (perClass[test.labels[i]] < 100) { perClass[test.labels[i]]++; pick.push(i); }
}
const px = test.rows * test.cols;
const images = new Uint8Array(pick.length * px);
pick.forEach((i, k) => images.set(test.images.subarray(i * px, (i + 1) * px), k * px));
const labels = Uint8Array.from(pick, i => test.labels[i]);
writeFileSync('assets/fashion-mnist-sample-images-idx3-ubyte.gz',
  gzipSync(serializeIdx({ dtype: 'u8', shape: [pick.length, test.rows, test.cols], data: images }), { level: 9 }));
writeFileSync('assets/fashion-mnist-sample-labels-idx1-ubyte.gz',
  gzipSync(serializeIdx({ dtype: 'u8', shape: [pick.length], data: labels }), { level: 9 }));
console.log(`wrote ${pick.length} images (${perClass.join('/')} per class); test-set indices ${pick[0]}..${pick[pick.length - 1]}`);
