/**
 * File helpers shared by the CLI jobs: reading a .safetensors weights file with errors that name
 * the file, checking an output path before the (long) work that produces it, writing atomically
 * (temp file + rename), and shortening a state-dict error's key lists for the terminal.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseSafetensors, type SafetensorsFile } from '../io/safetensors';

/**
 * Reads and parses a .safetensors file.
 * @throws Error naming `path` (and the option, when given) when the file cannot be read or is not a
 *   valid safetensors file (`<path>: not a usable .safetensors weights file: safetensors: …`).
 */
export async function readWeightsFile(path: string, option = '--weights'): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new Error(`cannot read ${option} ${path}: ${(e as Error).message}`);
  }
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    throw new Error(`${path}: not a usable .safetensors weights file: ${(e as Error).message}`);
  }
}

/**
 * Checks, before any work, that `path` can be written: its directory exists, is a directory and is
 * writable, and `path` itself is not a directory (nor an existing read-only file).
 * @throws Error naming the option and the path.
 */
export function checkWritable(path: string, option: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new Error(`${option} ${path}: directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`${option} ${path}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new Error(`${option} ${path}: directory ${dir} is not writable`);
  }
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new Error(`${option} ${path}: is a directory (give a file name)`);
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new Error(`${option} ${path}: file exists and is not writable`);
    }
  }
}

/**
 * Writes `data` to `<path>.tmp-<pid>` and renames it to `path`, so that an interrupted run never
 * leaves a truncated file at `path`. The temp file is removed when the write fails.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/** At most `n` keys, quoted, then `…` and how many more. */
export function someKeys(keys: readonly string[], n = 5): string {
  const shown = keys.slice(0, n).map((k) => `"${k}"`).join(', ');
  return keys.length > n ? `${shown}, … (${keys.length - n} more)` : shown;
}

interface StateDictErrorLike {
  name: string;
  moduleName: string;
  missingKeys: string[];
  unexpectedKeys: string[];
  mismatches: { key: string; expected: number[]; actual: number[] }[];
  otherErrors?: string[];
}

function isStateDictError(e: unknown): e is StateDictErrorLike {
  const s = e as Partial<StateDictErrorLike> | null;
  return !!s && s.name === 'StateDictError' && Array.isArray(s.missingKeys) && Array.isArray(s.unexpectedKeys) && Array.isArray(s.mismatches);
}

/**
 * The message to print for an error: a StateDictError (nn) keeps its form but with counts and only
 * the first `n` missing / unexpected keys and size mismatches; other errors print their message.
 */
export function cliErrorMessage(e: unknown, n = 5): string {
  if (!isStateDictError(e)) return e instanceof Error ? e.message : String(e);
  const lines = [`Error(s) in loading state_dict for ${e.moduleName}:`];
  if (e.missingKeys.length) lines.push(`\t${e.missingKeys.length} missing key(s) in state_dict: ${someKeys(e.missingKeys, n)}.`);
  if (e.unexpectedKeys.length) lines.push(`\t${e.unexpectedKeys.length} unexpected key(s) in state_dict: ${someKeys(e.unexpectedKeys, n)}.`);
  if (e.mismatches.length > n) lines.push(`\t${e.mismatches.length} size mismatches, the first ${n}:`);
  for (const m of e.mismatches.slice(0, n)) {
    lines.push(`\tsize mismatch for ${m.key}: copying a param with shape [${m.actual.join(', ')}] from checkpoint, ` +
      `the shape in current model is [${m.expected.join(', ')}] (PyTorch layout).`);
  }
  if (e.mismatches.length > n) lines.push('\t…');
  for (const o of e.otherErrors ?? []) lines.push(`\t${o}`);
  return lines.join('\n');
}
