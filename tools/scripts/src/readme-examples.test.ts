import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The opening example of every package README runs as written: the first ```ts block of each
 * `packages/<name>/README.md` is type-checked (all together, strict, NodeNext, as a consumer would compile
 * it), transpiled with `ts.transpileModule` and run with `node` in its own folder. The folders are made inside
 * the repository (`.tmp/readme-examples/`, git-ignored) so that `@siran/*`, `@tensorflow/*` and their
 * dependencies resolve through the root `node_modules`, as they would in a project that installed them.
 * Run `npx turbo run build` first: the examples import the packages' `dist/`.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packagesDir = path.join(root, 'packages');
/** Per example; the slowest (siran-model: load the demo weights, predict a 128 x 128 scene) takes about 1 s. */
const RUN_TIMEOUT_MS = 60_000;

/** The first TypeScript code block of a README and the README line its code starts on (1-based). */
interface Example {
  readonly name: string;
  readonly readme: string;
  readonly code: string;
  readonly firstLine: number;
}

/**
 * Finds the first ```ts (or ```typescript) block of a markdown text.
 *
 * @param markdown - The README's text.
 * @returns The code and the 1-based line its first line has in the README, or `null` when there is none.
 */
function firstTypeScriptBlock(markdown: string): { code: string; firstLine: number } | null {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((line) => /^```(ts|typescript)\s*$/.test(line));
  if (start < 0) return null;
  const end = lines.findIndex((line, index) => index > start && /^```\s*$/.test(line));
  if (end < 0) return null;
  return { code: `${lines.slice(start + 1, end).join('\n')}\n`, firstLine: start + 2 };
}

const examples: Example[] = readdirSync(packagesDir)
  .filter((name) => existsSync(path.join(packagesDir, name, 'README.md')))
  .sort()
  .map((name) => {
    const readme = path.join(packagesDir, name, 'README.md');
    const block = firstTypeScriptBlock(readFileSync(readme, 'utf8'));
    if (block === null) throw new Error(`${path.relative(root, readme)} has no \`\`\`ts code block`);
    return { name, readme, ...block };
  });

/** Compiler options of a consumer project: strict, ES2022, Node's ESM resolution (the packages are ESM). */
const CHECK_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
};

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly milliseconds: number;
}

/**
 * Runs `node file` in a folder with a time limit.
 *
 * @param file - The script, relative to `cwd`.
 * @param cwd - The folder it runs in.
 * @returns Exit code or signal, output and duration.
 */
function runNode(file: string, cwd: string): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      cwd,
      env: { ...process.env, SIRAN_BACKEND: 'wasm' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: RUN_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, milliseconds: performance.now() - started }),
    );
  });
}

let work: string;
let failed = false;

beforeAll(async () => {
  const parent = path.join(root, '.tmp', 'readme-examples');
  await mkdir(parent, { recursive: true });
  // One folder per run, so that two runs in the same checkout do not share files.
  work = await mkdtemp(path.join(parent, 'run-'));
  await writeFile(path.join(work, 'package.json'), '{ "private": true, "type": "module" }\n');
  for (const example of examples) {
    const folder = path.join(work, example.name);
    await mkdir(folder);
    await writeFile(path.join(folder, 'example.ts'), example.code);
    const { outputText } = ts.transpileModule(example.code, {
      fileName: 'example.ts',
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(path.join(folder, 'example.mjs'), outputText);
  }
});

afterAll(async () => {
  // Kept when something failed, to be run again by hand: node .tmp/readme-examples/run-*/<package>/example.mjs
  if (!failed) await rm(work, { recursive: true, force: true });
});

describe('README examples', () => {
  it('finds the opening example of every package', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    for (const example of examples) expect(example.code.trim().length, example.name).toBeGreaterThan(0);
  });

  it('type-check (strict, NodeNext, as in a consumer project)', () => {
    const files = examples.map((example) => path.join(work, example.name, 'example.ts'));
    const program = ts.createProgram(files, CHECK_OPTIONS);
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const messages = diagnostics.map((diagnostic) => {
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (diagnostic.file === undefined || diagnostic.start === undefined) return text;
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const fileName = path.normalize(diagnostic.file.fileName);
      const example = examples.find(
        (candidate) => path.join(work, candidate.name, 'example.ts') === fileName,
      );
      const where =
        example === undefined
          ? `${fileName}:${line + 1}:${character + 1}`
          : `${path.relative(root, example.readme)}:${example.firstLine + line}:${character + 1}`;
      return `${where} TS${diagnostic.code}: ${text}`;
    });
    if (messages.length > 0) failed = true;
    expect(messages.join('\n')).toBe('');
  });

  for (const example of examples) {
    it(`${example.name} runs (exit code 0, prints something)`, async () => {
      const folder = path.join(work, example.name);
      const result = await runNode('example.mjs', folder);
      const ok = result.code === 0 && result.stdout.trim().length > 0;
      if (!ok) {
        failed = true;
        const how = result.signal === null ? `exit code ${result.code}` : `signal ${result.signal}`;
        console.error(
          `${path.relative(root, example.readme)} (first \`\`\`ts block, line ${example.firstLine}): ${how} after ` +
            `${(result.milliseconds / 1000).toFixed(1)} s in ${path.relative(root, folder)}\n` +
            `--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
        );
      }
      expect(result.signal, result.stderr).toBeNull();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim(), `${example.name} printed nothing`).not.toBe('');
    });
  }
});
