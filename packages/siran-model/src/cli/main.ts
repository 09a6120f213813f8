#!/usr/bin/env node
import { type Command, commandHelp, parseCommandArgs, UsageError } from './args.js';
import { bandSynthesisCommands } from './band-synthesis-commands.js';
import { buildDatasetCommand } from './build-dataset-command.js';
import { demoCommand } from './demo-command.js';
import { evaluateCommand } from './evaluate-command.js';
import { imageSynthesisCommands } from './image-synthesis-commands.js';
import { mosaicCommand } from './mosaic-command.js';
import { predictCommand } from './predict-command.js';
import { statusCommand } from './status-command.js';
import { trainCommand } from './train-command.js';
import { workerCommand } from './worker-command.js';

const COMMANDS: readonly Command[] = [
  demoCommand,
  buildDatasetCommand,
  trainCommand,
  predictCommand,
  evaluateCommand,
  workerCommand,
  statusCommand,
  mosaicCommand,
  ...imageSynthesisCommands,
  ...bandSynthesisCommands,
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  const rows = COMMANDS.map((command) => `  ${command.name.padEnd(width)} ${command.summary.split('\n')[0]}`);
  return `Usage: siran <command> [options]\n\nSiran: image-guided DEM super-resolution (SiRAN), band synthesis (S2A) and image synthesis (SPADE). Heights are\nmetres throughout.\n\nCommands:\n${rows.join('\n')}\n\nRun "siran <command> --help" for a command's options. SIRAN_BACKEND=wasm|webgpu|cpu|tensorflow chooses the backend.\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    process.stderr.write(`siran: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  try {
    const values = parseCommandArgs(command, rest);
    if (values === null) {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    await command.run(values);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`siran ${command.name}: ${error.message}\n\n${commandHelp(command)}`);
      return 2;
    }
    process.stderr.write(
      `siran ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    if (process.env.SIRAN_DEBUG) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
