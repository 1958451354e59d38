// VGG-11 and VGG-11_bn (torchvision cfg 'A') against the PyTorch fixtures in tests/fixtures/torch:
// torchvision state_dict keys/shapes, strict loading, eval forward = PyTorch on simd and cpu.
// (One file per configuration keeps each file well under a minute: a VGG holds ~130M parameters.)
import { test } from 'uvu';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { vgg11, vgg11_bn } from '../src/models/index.js';
import { printParityReport, registerVggTests } from './zoo_helpers';

registerVggTests(test, 'A', ['vgg11', () => vgg11({ initWeights: false })], ['vgg11_bn', () => vgg11_bn({ initWeights: false })]);

test.after(printParityReport);
test.run();
