/**
 * simdnet/data: datasets and loaders (torch.utils.data / torchvision.datasets names). Node only
 * for the file-system datasets (ImageFolder, ImageListDataset).
 */
export { type Dataset, type Sample, type LabelledFile, type ImageFolderOptions, type ImageFolderListing, ImageListDataset, ImageFolder, IMG_EXTENSIONS } from './dataset.js';
export { DataLoader, collate, type DataLoaderOptions, type LoaderStats, type CollatableImage } from './data_loader.js';
export { decodeImageBytes, readSourceBytes, relativePathOf, usesBrowserDecoder, type FileLike } from './sources.js';
