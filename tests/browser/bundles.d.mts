// Types of tests/browser/bundles.mjs for the TypeScript tests that import it.
export const ROOT: string;
export const BUNDLES: string[];
export const BUDGET_FILE: string;
export function inputsHash(): string;
export function ensureBundles(opts?: { log?: (line: string) => void }): { built: boolean; ms: number };
export function bundleSizes(): Record<string, { raw: number; gzip: number }>;
export function sizeTable(sizes?: Record<string, { raw: number; gzip: number }>): string;
