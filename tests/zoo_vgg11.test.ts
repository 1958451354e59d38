// VGG-11 and VGG-11_bn (torchvision cfg 'A') against the PyTorch fixtures in tests/fixtures/torch:
// torchvision state_dict keys/shapes, strict loading, eval forward = PyTorch on simd and cpu.
// (One file per configuration keeps each file well under a minute: a VGG holds ~130M parameters.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { vgg11, vgg11_bn, makeVggLayers, vggConfigs } from '../src/models/index.js';
import { BatchNorm2d, Conv2d, MaxPool2d, ReLU } from '../src/nn/index.js';
import { printParityReport, registerZooTests } from './zoo_helpers';

test("makeVggLayers(cfgs.A): torchvision's layer list with and without BatchNorm", async () => {
  await tf.setBackend('cpu');
  const cfg = vggConfigs.A;
  for (const bn of [false, true]) {
    const seq = makeVggLayers(cfg, bn);
    const kinds = seq.children().map((m) => m.constructor.name);
    const want: string[] = [];
    for (const v of cfg) want.push(...(v === 'M' ? ['MaxPool2d'] : bn ? ['Conv2d', 'BatchNorm2d', 'ReLU'] : ['Conv2d', 'ReLU']));
    assert.equal(kinds, want);
    const convs = seq.children().filter((m): m is Conv2d => m instanceof Conv2d);
    assert.equal(convs.map((c) => c.outChannels), cfg.filter((v) => v !== 'M'));
    assert.ok(convs.every((c) => c.kernelSize[0] === 3 && c.padding !== 'same' && c.padding !== 'valid' && c.padding[0] === 1));
    assert.ok(seq.children().filter((m) => m instanceof MaxPool2d).every((m) => (m as MaxPool2d).stride[0] === 2));
    assert.ok(!bn || seq.children().filter((m) => m instanceof BatchNorm2d).every((m) => (m as BatchNorm2d).eps === 1e-5));
    assert.ok(seq.children().some((m) => m instanceof ReLU));
    seq.dispose();
  }
});

registerZooTests(test, 'vgg11', () => vgg11({ initWeights: false }));
registerZooTests(test, 'vgg11_bn', () => vgg11_bn({ initWeights: false }));

test.after(printParityReport);
test.run();
