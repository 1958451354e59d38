/**
 * The model zoo (torchvision-style names). Re-exported by the package as `models`.
 */
export { LeNet5, lenet5, LeNet, lenet, type LeNet5Options, type LeNetOptions } from './lenet.js';
