/**
 * simdnet/detection: torchvision's detection utilities on typed arrays (boxes.ts) and the RoI
 * ops (re-exported from src/ops/roi.ts).
 */
export { boxIou, nms, batchedNms, clipBoxesToImage, removeSmallBoxes, BoxCoder, AnchorGenerator, BBOX_XFORM_CLIP } from './boxes.js';
export { roiAlign, roiPool, type RoiOptions } from '../ops/roi.js';
export { FeaturePyramidNetwork, ResNetBody, BackboneWithFPN, type FeatureMaps } from './fpn.js';
export { RPNHead, RegionProposalNetwork, batchedNmsTorchvision, type RpnHeadOutput, type RpnOptions, type Proposals } from './rpn.js';
export {
  slidingWindowProposals, greedyMergeProposals, type GreedyMergeOptions, warpRegions, dilateForContext, detectionsFromScores, rcnnDetect, roiSpatialPyramidPool, sppNetDetect,
  type Net, type Detections, type SlidingWindowOptions, type WarpOptions, type PostprocessOptions, type RcnnOptions, type RoiSppOptions, type SppNetOptions,
} from './rcnn.js';
export {
  MultiScaleRoIAlign, TwoMLPHead, FastRCNNPredictor, RoIHeads, inferScale, mapLevels,
  type Detection, type BoxPredictions, type RoIHeadsOptions, type RoIHeadsInput, type MultiScaleRoIAlignInput,
} from './roi_heads.js';
export { GeneralizedRCNNTransform, type GeneralizedRCNNTransformOptions, type ImageList } from './transform.js';
