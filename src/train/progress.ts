/**
 * Terminal progress bar over cli-progress, loaded lazily so that browser bundles never pull it
 * in and quiet runs (tests, CI, browsers) never load it at all.
 */

/** The part of cli-progress' SingleBar used here. */
interface CliBar {
  start(total: number, startValue: number, payload?: Record<string, unknown>): void;
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

interface CliProgressModule {
  SingleBar: new (opts: Record<string, unknown>, preset?: unknown) => CliBar;
  Presets: { shades_classic: unknown };
}

/** A per-phase progress display. */
export interface ProgressBar {
  start(total: number, payload: { phase: string; epoch: number }): void;
  update(done: number, payload: { loss: number; acc: number }): void;
  stop(): void;
}

/** True when stdout is an interactive terminal (Node) and we are not on CI. */
export function isInteractiveTerminal(): boolean {
  const p = (globalThis as { process?: { stdout?: { isTTY?: boolean }; env?: Record<string, string | undefined> } }).process;
  return !!p?.stdout?.isTTY && !p.env?.CI;
}

/**
 * A cli-progress bar, or null when cli-progress cannot be loaded (e.g. in a browser).
 * Format: `train [epoch 3] |████░░| 12/40 batches | loss 0.6931 acc 0.5000 | ETA: 5s`.
 */
export async function createCliProgressBar(): Promise<ProgressBar | null> {
  let mod: CliProgressModule;
  try {
    // A computed specifier keeps bundlers from including the Node-only dependency, and TS from
    // requiring @types/cli-progress.
    const spec = 'cli-progress';
    const m = (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as { default?: CliProgressModule } & CliProgressModule;
    mod = m.SingleBar ? m : (m.default as CliProgressModule);
    if (!mod?.SingleBar) return null;
  } catch {
    return null;
  }
  const bar = new mod.SingleBar(
    {
      format: '{phase} [epoch {epoch}] |{bar}| {value}/{total} batches | loss {loss} acc {acc} | ETA: {eta}s',
      hideCursor: true,
      clearOnComplete: false,
    },
    mod.Presets.shades_classic,
  );
  return {
    start: (total, p) => bar.start(total, 0, { ...p, loss: '-', acc: '-' }),
    update: (done, p) => bar.update(done, { loss: p.loss.toFixed(4), acc: p.acc.toFixed(4) }),
    stop: () => bar.stop(),
  };
}
