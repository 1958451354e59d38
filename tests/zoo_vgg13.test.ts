// VGG-13 and VGG-13_bn (torchvision cfg 'B') against the PyTorch fixtures in tests/fixtures/torch:
// torchvision state_dict keys/shapes, strict loading, eval forward = PyTorch on simd and cpu.
// (One file per configuration keeps each file well under a minute: a VGG holds ~130M parameters.)
import { test } from 'uvu';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { vgg13, vgg13_bn } from '../src/models/index.js';
import { printParityReport, registerVggTests } from './zoo_helpers';

registerVggTests(test, 'B', ['vgg13', () => vgg13({ initWeights: false })], ['vgg13_bn', () => vgg13_bn({ initWeights: false })]);

test.after(printParityReport);
test.run();
