#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { activateBackend, describeActivation } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { formatTable } from './format.js';
import { type BenchCase, type BenchResult, runCases } from './harness.js';

const HELP = `Usage: siran-bench <suite...> [options]

Runs benchmark suites in this process and prints a Markdown table (median of N runs, ratio to the first
case of each group). Suites: the modules in tools/bench/src/cases (e.g. conv2d).

Options:
  --backend LIST   backends to run on, comma-separated, or "all" (tensorflow,webgpu,wasm,cpu). Default: wasm
  --repeats N      timed runs per case (default 5)
  --warmup N       untimed runs per case (default 1)
  --filter TEXT    only cases whose name contains TEXT (repeatable)
  --threads N      threads of TensorFlow (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS) and of the PyTorch
                   reference (OMP_NUM_THREADS), so that --python compares equal thread counts; pin both to the
                   same cores with taskset, e.g. taskset -c 0,1 npm run bench -- ... --threads 2
  --python         also time the suite's PyTorch reference (tools/bench/python/<suite>.py) first, so ratios
                   are against it; needs python3 with torch (Debian: python3-torch; the interpreter is
                   $SIRAN_BENCH_PYTHON, else /usr/bin/python3, else python3)
  --json FILE      also write the results as JSON
  -h, --help       this text
`;

interface SuiteModule {
  // biome-ignore lint/suspicious/noExplicitAny: each case has its own context type
  createCases?: (backend: string) => BenchCase<any>[];
  // biome-ignore lint/suspicious/noExplicitAny: each case has its own context type
  cases?: BenchCase<any>[];
}

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      backend: { type: 'string', default: 'wasm' },
      repeats: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      filter: { type: 'string', multiple: true, default: [] },
      threads: { type: 'string' },
      python: { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    process.stderr.write(`siran-bench: --threads must be a positive integer, got "${values.threads}"\n`);
    return 2;
  }
  if (threads !== undefined) process.env.OMP_NUM_THREADS = String(threads);
  const repeats = Number(values.repeats);
  const warmup = Number(values.warmup);
  const backends =
    values.backend === 'all' ? ['tensorflow', 'webgpu', 'wasm', 'cpu'] : values.backend.split(',');
  const results: BenchResult[] = [];
  const report = (result: BenchResult) => {
    results.push(result);
    const time = Number.isFinite(result.medianMs)
      ? `${result.medianMs.toFixed(1)} ms`
      : (result.skipped ?? result.error);
    process.stderr.write(`  ${result.name}: ${time}\n`);
  };
  for (const suite of positionals) {
    const modulePath = path.join(here, 'cases', `${suite}.js`);
    if (!existsSync(modulePath)) {
      process.stderr.write(`siran-bench: unknown suite "${suite}" (no ${modulePath})\n`);
      return 2;
    }
    if (values.python) runPython(suite, repeats, values.filter).forEach(report);
    const suiteModule = (await import(modulePath)) as SuiteModule;
    for (const backend of backends) {
      try {
        const active = await activateBackend(backend, {
          ignoreEnvironment: true,
          tensorflowThreads: threads,
        });
        process.stderr.write(`${suite} on ${describeActivation(active)}\n`);
      } catch (error) {
        report(
          skippedResult(
            `${suite}/*/${backend}`,
            error instanceof Error ? error.message.split('\n').slice(1).join(' ') : String(error),
          ),
        );
        continue;
      }
      const cases = suiteModule.createCases?.(backend) ?? suiteModule.cases ?? [];
      await runCases(cases, { repeats, warmup, filter: values.filter, onResult: report });
      tf.disposeVariables();
    }
  }
  process.stdout.write(`${formatTable(results)}\n`);
  if (values.json) writeJsonAtomically(values.json, results);
  return 0;
}

/**
 * Runs a suite's PyTorch reference. `--filter` reaches the script as `SIRAN_BENCH_FILTER` (one value per line) so it can
 * skip unselected cases (`selected` in `bench_timing.py`); rows of scripts that time everything are filtered here.
 */
function runPython(suite: string, repeats: number, filter: readonly string[]): BenchResult[] {
  const script = path.join(here, '..', 'python', `${suite}.py`);
  if (!existsSync(script)) return [skippedResult(`${suite}/pytorch`, `no ${script}`)];
  const child = spawnSync(pythonExecutable(), [script, '--repeats', String(repeats)], {
    encoding: 'utf8',
    env: { ...process.env, SIRAN_BENCH_FILTER: filter.join('\n') },
  });
  if (child.status !== 0) {
    return [
      skippedResult(`${suite}/pytorch`, (child.stderr || 'python3 failed').trim().split('\n').pop() ?? ''),
    ];
  }
  const rows = JSON.parse(child.stdout) as Partial<BenchResult>[];
  const wanted = (row: Partial<BenchResult>) =>
    filter.length === 0 || filter.some((text) => row.name?.includes(text));
  return rows.filter(wanted).map((row) => ({
    name: row.name ?? `${suite}/pytorch`,
    params: row.params ?? {},
    medianMs: row.medianMs ?? Number.NaN,
    minMs: row.minMs ?? Number.NaN,
    maxMs: row.maxMs ?? Number.NaN,
    repeats: row.repeats ?? repeats,
    rssMiB: row.rssMiB ?? Number.NaN,
  }));
}

/** `SIRAN_BENCH_PYTHON`, else the system interpreter (where Debian's python3-torch installs), else `python3`. */
function pythonExecutable(): string {
  if (process.env.SIRAN_BENCH_PYTHON) return process.env.SIRAN_BENCH_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function skippedResult(name: string, reason: string): BenchResult {
  return {
    name,
    params: {},
    medianMs: Number.NaN,
    minMs: Number.NaN,
    maxMs: Number.NaN,
    repeats: 0,
    rssMiB: 0,
    skipped: reason,
  };
}

function writeJsonAtomically(file: string, results: readonly BenchResult[]): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
  renameSync(temporary, file);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`siran-bench: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
