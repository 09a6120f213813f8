/** Small helpers to write SVG text; layout lives in the figure modules. */

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Formats a number for a tick label with no more decimals than the tick step needs. */
export function formatTick(value: number, step: number): string {
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(Math.abs(step)) + 1e-9)));
  const text = value.toFixed(decimals);
  return text === `-${(0).toFixed(decimals)}` ? text.slice(1) : text;
}

/**
 * "Nice" tick values covering `[minimum, maximum]`: steps of 1, 2 or 5 times a power of ten.
 *
 * @returns The ticks inside the range and the step.
 */
export function niceTicks(minimum: number, maximum: number, count = 5): { ticks: number[]; step: number } {
  if (!(maximum > minimum)) return { ticks: [minimum], step: 1 };
  const rough = (maximum - minimum) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step =
    [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let tick = Math.ceil(minimum / step - 1e-9) * step; tick <= maximum + step * 1e-9; tick += step) {
    ticks.push(Math.abs(tick) < step * 1e-9 ? 0 : tick);
  }
  return { ticks, step };
}

/** The font stack used for every label. */
export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';
