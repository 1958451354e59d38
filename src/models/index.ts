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
export {
  SegmentationModel, FCN, DeepLabV3, FCNHead, DeepLabHead, ASPP, ASPPConv, ASPPPooling, ResNetBackbone,
  type SegmentationOptions, type SegmentationOutputs,
  fcn_resnet50, fcn_resnet101, deeplabv3_resnet50, deeplabv3_resnet101,
} from './segmentation.js';
export {
  segment, segmentAsync, VOC_CLASSES, vocPalette, maskRgb, overlayPng, classFractions,
  type SegmentationResult, type SegmentOptions, type ClassFraction,
} from './segment.js';
export { summary, type SummaryResult, type SummaryRow, type SummaryOptions } from './summary.js';
export {
  IMAGENET_CLASSES, IMAGENET_MEAN, IMAGENET_STD, preprocessImagenet, resizeAndCenterCrop, resizeBilinearPil,
  resizeBilinearNoAntialias, resizedSize, topK, topKAsync, type ImagenetPreprocessOptions, type TopKEntry,
} from './imagenet.js';
export { FasterRCNN, fasterrcnn_resnet50_fpn, type FasterRCNNOptions } from './faster_rcnn.js';
export {
  detect, detectAsync, drawBoxesPng, drawText, textWidth, COCO_CATEGORY_NAMES,
  type DetectedObject, type DetectOptions, type DetectionModel, type AsyncDetectionModel, type DrawBoxesOptions,
} from './detect.js';
export {
  UNet, unet, DoubleConv, Down, Up, OutConv, type UNetOptions,
} from './unet.js';
export { PSPNet, PSPHead, PyramidPooling, pspnet_resnet50, pspnet_resnet101 } from './pspnet.js';
export { FCN8s, fcn8s, bilinearKernel, type FCN8sOptions } from './fcn8s.js';
