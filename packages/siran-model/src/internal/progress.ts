/** A one-line progress bar with rate and ETA on a terminal, or a line every few percent otherwise. */
export class ProgressBar {
  private readonly start = Date.now();
  private lastPrintedPercent = -1;

  /**
   * @param label - Shown before the bar.
   * @param total - Units of work.
   * @param stream - Where to draw; nothing is drawn when `null`.
   * @param initial - Units already done before this bar started (a resumed run), left out of the rate.
   */
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream | null = process.stderr,
    private readonly initial = 0,
  ) {}

  /**
   * Draws the bar for `done` units.
   *
   * @param done - Units finished so far.
   * @param detail - Short text after the bar (e.g. the current loss).
   */
  update(done: number, detail = ''): void {
    if (!this.stream || this.total <= 0) return;
    const fraction = Math.min(1, done / this.total);
    const percent = Math.floor(fraction * 100);
    const elapsed = (Date.now() - this.start) / 1000;
    const doneHere = done - this.initial;
    const eta = doneHere > 0 ? (elapsed / doneHere) * (this.total - done) : Number.NaN;
    const text = `${this.label} ${done}/${this.total} ${String(percent).padStart(3)}% ${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)} ${detail}`;
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round(fraction * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\u001b[K`);
      if (done >= this.total) this.stream.write('\n');
    } else if (percent >= this.lastPrintedPercent + 10 || done >= this.total) {
      this.lastPrintedPercent = percent;
      this.stream.write(`${text}\n`);
    }
  }
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const hours = Math.floor(minutes / 60);
  const pad = (value: number) => String(value).padStart(2, '0');
  return hours > 0
    ? `${hours}:${pad(minutes % 60)}:${pad(whole % 60)}`
    : `${pad(minutes)}:${pad(whole % 60)}`;
}

/**
 * A progress callback `(done, total)` that draws one bar, created at the first call when the total is known.
 *
 * @param label - Shown before the bar.
 * @returns The callback.
 */
export function progressCallback(label: string): (done: number, total: number) => void {
  let bar: ProgressBar | undefined;
  return (done, total) => {
    bar ??= new ProgressBar(label, total);
    bar.update(done);
  };
}

/**
 * A progress callback `(step, done, total)` that draws one bar per named step.
 *
 * @returns The callback.
 */
export function stepProgressCallback(): (step: string, done: number, total: number) => void {
  const bars = new Map<string, (done: number, total: number) => void>();
  return (step, done, total) => {
    if (!bars.has(step)) bars.set(step, progressCallback(step));
    bars.get(step)?.(done, total);
  };
}
