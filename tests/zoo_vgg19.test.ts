// VGG-19 and VGG-19_bn (torchvision cfg 'E') against the PyTorch fixtures in tests/fixtures/torch:
// torchvision state_dict keys/shapes, strict loading, eval forward = PyTorch on simd and cpu.
// (One file per configuration keeps each file well under a minute: a VGG holds ~130M parameters.)
import { test } from 'uvu';
import '@tensorflow/tfjs-backend-cpu';
import '../src/index';
import { vgg19, vgg19_bn } from '../src/models/index.js';
import { printParityReport, registerVggTests } from './zoo_helpers';

registerVggTests(test, 'E', ['vgg19', () => vgg19({ initWeights: false })], ['vgg19_bn', () => vgg19_bn({ initWeights: false })]);

test.after(printParityReport);
test.run();
