/**
 * simdnet/data: datasets and loaders (torch.utils.data / torchvision.datasets names). The
 * ImageFolder constructor scans the Node file system; `ImageFolder.fromFiles` / `fromUrls` and
 * `ImageListDataset.fromFileList` / `fromUrlList` work in browsers and Node alike.
 */
export { type Dataset, type Sample, type LabelledFile, type ImageFolderOptions, type ImageFolderListing, ImageListDataset, ImageFolder, IMG_EXTENSIONS } from './dataset.js';
export { DataLoader, collate, type DataLoaderOptions, type LoaderStats, type CollatableImage } from './data_loader.js';
export { decodeImageBytes, readSourceBytes, relativePathOf, usesBrowserDecoder, type FileLike } from './sources.js';
