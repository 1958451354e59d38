/**
 * `simdnet/io`: pure, untrusted-input-safe readers and writers for tensor and
 * image files — safetensors (Hugging Face), IDX (MNIST / Fashion-MNIST) and
 * PNG/JPEG. The `read*File` / `write*File` / `load*` helpers that take paths
 * need Node.js (`node:fs` is imported lazily, so this module still bundles
 * for browsers).
 */

export {
  SAFETENSORS_MAX_HEADER_BYTES,
  int64ToInt32,
  parseSafetensors,
  parseSafetensorsHeader,
  readSafetensorsFile,
  serializeSafetensors,
  writeSafetensorsFile,
} from './safetensors.js';
export type {
  SafetensorsDataMap,
  SafetensorsDtype,
  SafetensorsFile,
  SafetensorsHeader,
  SafetensorsParseOptions,
  SafetensorsTensor,
  SafetensorsTensorInfo,
  SafetensorsTensorInput,
} from './safetensors.js';

export { FASHION_MNIST_CLASSES, IDX_MAX_NDIM, loadFashionMnist, loadIdx, parseIdx, readIdxFile, serializeIdx } from './idx.js';
export type { IdxArray, IdxDataMap, IdxDtype, IdxOptions, MnistSplit } from './idx.js';

export { decodeImage, detectImageFormat, encodePng, toGrayscale } from './image.js';
export type { DecodeImageOptions, GrayImage, ImageFormat, ImageU8, RgbImage } from './image.js';

export { readFileBytes, writeFileBytes } from './node_fs.js';
