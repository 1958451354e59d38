/**
 * Faster R-CNN with a ResNet-50 + FPN backbone, torchvision 0.14's `fasterrcnn_resnet50_fpn`
 * (torchvision/models/detection/faster_rcnn.py, generalized_rcnn.py; Ren et al., "Faster R-CNN",
 * NeurIPS 2015; Lin et al., "Feature Pyramid Networks", CVPR 2017), inference only, with
 * torchvision's exact state-dict keys (`backbone.body.*`, `backbone.fpn.*`, `rpn.head.*`,
 * `roi_heads.box_head.*`, `roi_heads.box_predictor.*`; 348 entries, 41,808,406 parameters with
 * nn.BatchNorm2d as torchvision builds it without pretrained weights; torchvision's pretrained
 * checkpoints use FrozenBatchNorm2d: the same tensors minus the 53 `num_batches_tracked`, which
 * {@link FasterRCNN.loadStateDict} fills in).
 *
 * forward: images (HWC float32 in [0, 1]) → {@link GeneralizedRCNNTransform} → backbone → RPN
 * proposals → RoI heads → detections rescaled to the input images. Boxes (x1, y1, x2, y2) in
 * input-image pixels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, releaseFolded, type LoadStateDictOptions, type LoadStateDictResult, type StateDictLike, type TensorData } from '../nn/index.js';
import { BackboneWithFPN } from '../detection/fpn.js';
import { RegionProposalNetwork } from '../detection/rpn.js';
import { FastRCNNPredictor, MultiScaleRoIAlign, RoIHeads, TwoMLPHead, type Detection } from '../detection/roi_heads.js';
import { GeneralizedRCNNTransform } from '../detection/transform.js';

/** Options of {@link fasterrcnn_resnet50_fpn} (torchvision's keyword names, camelCased; its defaults). */
export interface FasterRCNNOptions {
  /** Classes including background (91: COCO's category ids). */
  numClasses?: number;
  /** Shorter side after resizing (800). */
  minSize?: number;
  /** Longer side limit after resizing (1333). */
  maxSize?: number;
  imageMean?: readonly [number, number, number];
  imageStd?: readonly [number, number, number];
  /** RPN: proposals kept per level before NMS (1000 at test time). */
  rpnPreNmsTopNTest?: number;
  /** RPN: proposals kept per image after NMS (1000 at test time). */
  rpnPostNmsTopNTest?: number;
  /** RPN NMS IoU (0.7). */
  rpnNmsThresh?: number;
  /** RPN objectness threshold (0.0). */
  rpnScoreThresh?: number;
  /** Detections with score <= this are dropped (0.05). */
  boxScoreThresh?: number;
  /** Per-class NMS IoU (0.5). */
  boxNmsThresh?: number;
  /** Detections per image (100). */
  boxDetectionsPerImg?: number;
  /** torchvision's initialization of the backbone (default false: weights are meant to be loaded). */
  initWeights?: boolean;
  seed?: number;
}

/**
 * torchvision `FasterRCNN` (eval): children `transform` (no keys), `backbone`, `rpn`,
 * `roi_heads`. Call {@link Module.eval} first (BN with running statistics, folded into the
 * convolutions on the first forward).
 */
export class FasterRCNN extends Module<tf.Tensor | tf.Tensor[], Detection[]> {
  transform: GeneralizedRCNNTransform;
  backbone: BackboneWithFPN;
  rpn: RegionProposalNetwork;
  roi_heads: RoIHeads;

  constructor(transform: GeneralizedRCNNTransform, backbone: BackboneWithFPN, rpn: RegionProposalNetwork, roiHeads: RoIHeads) {
    super();
    this.transform = transform;
    this.backbone = backbone;
    this.rpn = rpn;
    this.roi_heads = roiHeads;
  }

  /**
   * Detections per image, torchvision's `GeneralizedRCNN.forward` in eval mode.
   * @param images HWC float32 tensors [H_i, W_i, 3] with values in [0, 1] (sizes may differ;
   *   torchvision: CHW), or one NHWC batch [N, H, W, 3]. Not disposed.
   * @returns per image {boxes [D, 4] (x1, y1, x2, y2) input-image pixels, scores [D] (softmax,
   *   descending), labels [D] (class index, 1..numClasses−1)}, D <= boxDetectionsPerImg.
   * Synchronous: downloads the RPN and box-head outputs (and, off `simd`, the FPN maps for RoI
   * Align) with dataSync, which blocks on GPU backends (on webgl it stalls the page): there, or
   * in any async code, use {@link forwardAsync}. The body runs in one `tf.tidy` (the result is
   * typed arrays), so `model.forward([x])` leaves no tensor, like `model.call([x])`.
   * @throws for inputs that are not HWC RGB float32 tensors.
   */
  forward(images: tf.Tensor | tf.Tensor[]): Detection[] {
    return tf.tidy(() => {
      const { tensors, imageSizes, originalSizes } = this.transform.forward(images);
      const feats = this.backbone.forward(tensors);
      const proposals = this.rpn.proposalsSync(feats, [tensors.shape[1], tensors.shape[2]], imageSizes);
      const dets = this.roi_heads.detect({ features: this.pooledMaps(feats), proposals: proposals.map((p) => p.boxes), imageShapes: imageSizes });
      return this.transform.postprocess(dets, imageSizes, originalSizes);
    });
  }

  /**
   * {@link forward} without blocking reads: the same detections, but the RPN and box-head
   * outputs (and, off `simd`, the FPN maps RoI Align samples) are downloaded with
   * `await tensor.data()` instead of dataSync ({@link RegionProposalNetwork.proposals},
   * {@link RoIHeads.detectAsync}), so a webgl page stays responsive. Use this on GPU backends and
   * in browsers; {@link forward} / `call` where a synchronous result is needed (simd, cpu).
   * Every tensor it makes is disposed, also when it rejects; `images` are not disposed.
   * @param images as {@link forward}.
   * @throws (rejects) as {@link forward}.
   */
  async forwardAsync(images: tf.Tensor | tf.Tensor[]): Promise<Detection[]> {
    const { tensors, imageSizes, originalSizes } = tf.tidy(() => this.transform.forward(images));
    const batchSize: [number, number] = [tensors.shape[1], tensors.shape[2]];
    let feats: tf.Tensor4D[];
    try {
      feats = tf.tidy(() => this.backbone.forward(tensors));
    } finally {
      tensors.dispose();
    }
    try {
      const proposals = await this.rpn.proposals(feats, batchSize, imageSizes);
      const dets = await this.roi_heads.detectAsync({ features: this.pooledMaps(feats), proposals: proposals.map((p) => p.boxes), imageShapes: imageSizes });
      return this.transform.postprocess(dets, imageSizes, originalSizes);
    } finally {
      tf.dispose(feats);
    }
  }

  /** The FPN maps the RoI pooler reads (its featmapNames, in order) among the backbone's outputs. */
  private pooledMaps(feats: tf.Tensor4D[]): tf.Tensor4D[] {
    const names = this.backbone.names();
    return this.roi_heads.box_roi_pool.featmapNames.map((n) => {
      const i = names.indexOf(n);
      if (i < 0) throw new Error(`FasterRCNN: the backbone has no feature map '${n}' (has ${names.join(', ')})`);
      return feats[i];
    });
  }

  /**
   * `load_state_dict` with one addition: torchvision's pretrained checkpoints (FrozenBatchNorm2d)
   * have no `*.num_batches_tracked`; where a dict has `X.running_mean` but not
   * `X.num_batches_tracked`, a 0 is supplied (it plays no role in eval), so such a checkpoint
   * loads with strict: true. Everything else as {@link Module.loadStateDict}.
   */
  override loadStateDict(dict: StateDictLike, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const given: Map<string, tf.Tensor | TensorData> = dict instanceof Map ? new Map(dict) : new Map(Object.entries(dict));
    const added: string[] = [];
    for (const k of [...given.keys()]) {
      if (!k.endsWith('.running_mean')) continue;
      const nbt = `${k.slice(0, -'running_mean'.length)}num_batches_tracked`;
      if (!given.has(nbt)) { given.set(nbt, { shape: [], data: [0] }); added.push(nbt); }
    }
    const res = super.loadStateDict(given, opts);
    return { missingKeys: res.missingKeys, unexpectedKeys: res.unexpectedKeys.filter((k) => !added.includes(k)) };
  }

  /** Disposes every parameter and buffer and the backbone's folded-BN cache. */
  override dispose(): void {
    releaseFolded(this);
    super.dispose();
  }
}

/**
 * torchvision `fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes, **kwargs)`:
 * ResNet-50 (nn.BatchNorm2d, all layers trainable) + FPN (256 channels, LastLevelMaxPool),
 * RPN (anchors 32..512 per level, ratios 0.5/1/2), MultiScaleRoIAlign(['0'..'3'], 7, 2),
 * TwoMLPHead(12544, 1024), FastRCNNPredictor(1024, numClasses). Load weights with
 * `loadStateDict` (torchvision keys) and call `eval()`.
 */
export function fasterrcnn_resnet50_fpn(opts: FasterRCNNOptions = {}): FasterRCNN {
  const numClasses = opts.numClasses ?? 91;
  const transform = new GeneralizedRCNNTransform({ minSize: opts.minSize, maxSize: opts.maxSize, imageMean: opts.imageMean, imageStd: opts.imageStd });
  const backbone = new BackboneWithFPN({ initWeights: opts.initWeights ?? false, seed: opts.seed });
  const rpn = new RegionProposalNetwork(backbone.outChannels, {
    preNmsTopN: opts.rpnPreNmsTopNTest, postNmsTopN: opts.rpnPostNmsTopNTest, nmsThresh: opts.rpnNmsThresh,
    scoreThresh: opts.rpnScoreThresh, seed: opts.seed,
  });
  const roiHeads = new RoIHeads(
    new MultiScaleRoIAlign(['0', '1', '2', '3'], 7, 2),
    new TwoMLPHead(backbone.outChannels * 7 * 7, 1024, { seed: opts.seed }),
    new FastRCNNPredictor(1024, numClasses, { seed: opts.seed }),
    { scoreThresh: opts.boxScoreThresh, nmsThresh: opts.boxNmsThresh, detectionsPerImg: opts.boxDetectionsPerImg },
  );
  return new FasterRCNN(transform, backbone, rpn, roiHeads);
}
