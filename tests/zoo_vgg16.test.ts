// VGG-16 and VGG-16_bn (torchvision cfg 'D') against the PyTorch fixtures in tests/fixtures/torch:
// torchvision state_dict keys/shapes, strict loading, eval forward = PyTorch on simd and cpu.
// (One file per configuration keeps each file well under a minute: a VGG holds ~130M parameters.)
import { test } from 'uvu';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { vgg16, vgg16_bn } from '../src/models/index.js';
import { printParityReport, registerVggTests } from './zoo_helpers';

registerVggTests(test, 'D', ['vgg16', () => vgg16({ initWeights: false })], ['vgg16_bn', () => vgg16_bn({ initWeights: false })]);

test.after(printParityReport);
test.run();
