/**
 * The model zoo (torchvision-style names). Re-exported by the package as `models`.
 */
export { LeNet5, lenet5, LeNet, lenet, type LeNet5Options, type LeNetOptions } from './lenet.js';
export { AlexNet, alexnet, type AlexNetOptions } from './alexnet.js';
export {
  VGG, makeVggLayers, vggConfigs, type VggConfig, type VGGOptions,
  vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn,
} from './vgg.js';
export {
  GoogLeNet, googlenet, BasicConv2d, Inception, InceptionAux, type GoogLeNetOptions, type GoogLeNetOutputs,
} from './googlenet.js';
export {
  ResNet, BasicBlock, Bottleneck, conv1x1, conv3x3, type BlockArgs, type BlockType, type ResNetOptions,
  resnet18, resnet34, resnet50, resnet101, resnet152,
} from './resnet.js';
export { summary, type SummaryResult, type SummaryRow, type SummaryOptions } from './summary.js';
export {
  IMAGENET_CLASSES, IMAGENET_MEAN, IMAGENET_STD, preprocessImagenet, resizeAndCenterCrop, resizeBilinearPil,
  resizeBilinearNoAntialias, resizedSize, topK, type ImagenetPreprocessOptions, type TopKEntry,
} from './imagenet.js';
