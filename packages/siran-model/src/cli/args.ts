import { parseArgs } from 'node:util';

/** A command-line option of a subcommand. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly default?: string | boolean;
  readonly valueName?: string;
}

/** A subcommand: its synopsis, options and action. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Name of the one positional argument the command takes (its value is under this name), if any. */
  readonly positional?: string;
  /**
   * With `positional`: the command takes one or more such arguments; their values are under that name as a JSON
   * array of strings (see {@link positionalList}).
   */
  readonly manyPositionals?: boolean;
  readonly run: (values: Record<string, string | boolean | undefined>) => Promise<void>;
}

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  /**
   * @param message - What was wrong and what was expected.
   */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The `--help` text of a command.
 *
 * @param command - The command.
 * @returns Usage, summary and an options table.
 */
export function commandHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const flag = spec.type === 'boolean' ? `--${name}` : `--${name} ${spec.valueName ?? 'VALUE'}`;
    const fallback =
      spec.default === undefined || spec.default === false ? '' : ` (default: ${spec.default})`;
    return `  ${flag.padEnd(30)} ${spec.description}${fallback}`;
  });
  return `Usage: siran ${command.name} ${command.usage}\n\n${command.summary}\n\nOptions:\n${rows.map((row) => `${row}\n`).join('')}  ${'-h, --help'.padEnd(30)} show this help\n`;
}

/**
 * Parses a command's arguments.
 *
 * @param command - The command.
 * @param argv - Arguments after the subcommand name.
 * @returns Option values with defaults applied, or `null` when `--help` was asked for.
 * @throws UsageError for an unknown option or a stray argument.
 */
export function parseCommandArgs(
  command: Command,
  argv: readonly string[],
): Record<string, string | boolean | undefined> | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(command.options)) options[name] = { type: spec.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      allowPositionals: command.positional !== undefined,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) return null;
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    const value = parsed.values[name];
    values[name] = (Array.isArray(value) ? value[0] : value) ?? spec.default;
  }
  if (command.positional !== undefined && command.manyPositionals) {
    values[command.positional] = JSON.stringify(parsed.positionals);
  } else if (command.positional !== undefined) {
    if (parsed.positionals.length > 1)
      throw new UsageError(
        `unexpected argument "${parsed.positionals[1]}"; expected one ${command.positional}`,
      );
    values[command.positional] = parsed.positionals[0];
  }
  return values;
}

/**
 * The positional arguments of a command that takes many (`manyPositionals`).
 *
 * @param values - Parsed values.
 * @param name - The command's `positional` name.
 * @returns The arguments, at least one.
 * @throws UsageError when there is none.
 */
export function positionalList(values: Record<string, string | boolean | undefined>, name: string): string[] {
  const list = JSON.parse(String(values[name] ?? '[]')) as string[];
  if (list.length === 0) throw new UsageError(`at least one ${name} is required`);
  return list;
}

/**
 * A required string option.
 *
 * @param values - Parsed values.
 * @param name - Option name.
 * @returns The value.
 * @throws UsageError when it is missing.
 */
export function requiredString(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/**
 * A positive integer option.
 *
 * @param values - Parsed values.
 * @param name - Option name.
 * @returns The number, or `undefined` when absent.
 * @throws UsageError when it is not a positive integer.
 */
export function positiveInteger(
  values: Record<string, string | boolean | undefined>,
  name: string,
): number | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return number;
}

/**
 * Parses `--guide-bands`: three 1-based band numbers for NIR, red and green.
 *
 * @param text - E.g. `"4,3,2"`.
 * @returns 0-based band indices.
 * @throws UsageError when it is not three positive integers.
 */
export function parseGuideBands(text: string): [number, number, number] {
  const bands = text.split(',').map((part) => Number(part.trim()));
  if (bands.length !== 3 || bands.some((band) => !Number.isInteger(band) || band < 1)) {
    throw new UsageError(
      `--guide-bands must be three 1-based band numbers for NIR,R,G (e.g. 4,3,2), got "${text}"`,
    );
  }
  return bands.map((band) => band - 1) as [number, number, number];
}
