import type { BenchResult } from './harness.js';

/**
 * Renders results as a Markdown table: name, parameters, median, min, max, RSS, and the ratio of each
 * median to the first result of the same group (the part of the name before the last `/`).
 *
 * @param results - Results of one run.
 * @returns The table, one line per result.
 */
export function formatTable(results: readonly BenchResult[]): string {
  const firstOfGroup = new Map<string, number>();
  const rows = results.map((result) => {
    const group = result.name.includes('/')
      ? result.name.slice(0, result.name.lastIndexOf('/'))
      : result.name;
    if (!firstOfGroup.has(group) && Number.isFinite(result.medianMs))
      firstOfGroup.set(group, result.medianMs);
    const reference = firstOfGroup.get(group);
    const ratio =
      reference && Number.isFinite(result.medianMs) ? (result.medianMs / reference).toFixed(2) : '';
    const status = result.skipped
      ? `skipped: ${result.skipped}`
      : result.error
        ? `error: ${result.error}`
        : '';
    const params = Object.entries(result.params)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    return [
      result.name,
      params,
      fixed(result.medianMs),
      fixed(result.minMs),
      fixed(result.maxMs),
      ratio,
      result.rssMiB.toFixed(0),
      status,
    ];
  });
  const header = ['case', 'params', 'median ms', 'min ms', 'max ms', 'x group ref', 'rss MiB', 'note'];
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

function fixed(value: number): string {
  return Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : '';
}
