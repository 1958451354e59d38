/**
 * Plain-data descriptions of the torchvision-named transforms, so that a decode worker (src/data
 * DataLoader `workers: n`) can rebuild the same pipeline in another thread: `transformSpec(t)`
 * describes a transform (or returns `undefined` for a custom JS transform, which cannot be sent
 * and therefore stays on the main thread), `transformFromSpec(spec)` rebuilds it. Rebuilt
 * transforms given the same `rng` produce bit-identical output (same code, same float32 math).
 * Supported: Compose, Resize, CenterCrop, RandomResizedCrop, RandomHorizontalFlip, ToTensor,
 * Normalize, ImageTransform phases (`forPhase`). A transform's own seed is not carried: the
 * DataLoader always passes a per-sample generator.
 */
import {
  CenterCrop, Compose, ImageTransform, ImageTransformPhase, Normalize, RandomHorizontalFlip, RandomResizedCrop, Resize, ToTensor,
  type Transform,
} from './transforms.js';

type Size = number | [number, number];

/** A JSON-able (structured-clone-able) description of a transform pipeline. */
export type TransformSpec =
  | { name: 'Compose'; transforms: TransformSpec[] }
  | { name: 'Resize'; size: Size }
  | { name: 'CenterCrop'; size: [number, number] }
  | { name: 'RandomResizedCrop'; size: [number, number]; scale: [number, number]; ratio: [number, number] }
  | { name: 'RandomHorizontalFlip'; p: number }
  | { name: 'ToTensor' }
  | { name: 'Normalize'; mean: number[]; std: number[] }
  | { name: 'ImageTransform'; size: number; mean: number[]; std: number[]; phase: 'train' | 'val' };

/**
 * Describes `t` as plain data, or `undefined` when `t` (or a member of a Compose) is not one of
 * the supported transform classes.
 */
export function transformSpec(t: Transform<any, any>): TransformSpec | undefined { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (t instanceof Compose) {
    const parts = t.transforms.map(transformSpec);
    return parts.every((p) => p !== undefined) ? { name: 'Compose', transforms: parts as TransformSpec[] } : undefined;
  }
  if (t instanceof Resize) return { name: 'Resize', size: typeof t.size === 'number' ? t.size : [t.size[0], t.size[1]] };
  if (t instanceof CenterCrop) return { name: 'CenterCrop', size: [t.size[0], t.size[1]] };
  if (t instanceof RandomResizedCrop) {
    return { name: 'RandomResizedCrop', size: [t.size[0], t.size[1]], scale: [t.scale[0], t.scale[1]], ratio: [t.ratio[0], t.ratio[1]] };
  }
  if (t instanceof RandomHorizontalFlip) return { name: 'RandomHorizontalFlip', p: t.p };
  if (t instanceof ToTensor) return { name: 'ToTensor' };
  if (t instanceof Normalize) return { name: 'Normalize', mean: Array.from(t.mean), std: Array.from(t.std) };
  if (t instanceof ImageTransformPhase) {
    const it = t.transform;
    return { name: 'ImageTransform', size: it.size, mean: Array.from(it.mean), std: Array.from(it.std), phase: t.phase };
  }
  return undefined;
}

/**
 * Rebuilds the transform described by `spec` (see {@link transformSpec}).
 * @throws for an unknown `spec.name`.
 */
export function transformFromSpec(spec: TransformSpec): Transform<any, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  switch (spec.name) {
    case 'Compose': return new Compose(spec.transforms.map(transformFromSpec));
    case 'Resize': return new Resize(spec.size);
    case 'CenterCrop': return new CenterCrop(spec.size);
    case 'RandomResizedCrop': return new RandomResizedCrop(spec.size, { scale: spec.scale, ratio: spec.ratio });
    case 'RandomHorizontalFlip': return new RandomHorizontalFlip(spec.p);
    case 'ToTensor': return new ToTensor();
    case 'Normalize': return new Normalize(spec.mean, spec.std);
    case 'ImageTransform': return new ImageTransform(spec.size, spec.mean, spec.std).forPhase(spec.phase);
    default: throw new Error(`transformFromSpec: unknown transform ${JSON.stringify((spec as { name?: unknown }).name)}`);
  }
}
