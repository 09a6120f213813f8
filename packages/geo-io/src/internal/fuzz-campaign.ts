/**
 * Test support for the fuzz tests (`read-fuzz.test.ts`, `read-fuzz.slow.test.ts`); not part of the package's
 * API (the index does not export it). A pool of child processes (`test/fuzz/fuzz-worker.mjs`) that run the
 * readers under a per-file time limit, and campaigns: seeded mutants of each file (see `fuzz-helpers.ts`),
 * each read once with exactly one outcome (a documented rejection, or an acceptance whose values equal the
 * reference's: the untouched file, or an independent reader, GDAL, NumPy, a plain LAS parse in
 * `test/fuzz/reference.py` and laz-perf driven directly), and their counts.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  mutate,
  type ReadValue,
  rejectionReason,
  seededRandom,
  type TargetedEdits,
  valueKey,
} from './fuzz-helpers.js';

/** A job of `fuzz-worker.mjs`. */
export type WorkerJob =
  | { readonly kind: 'raster'; readonly path: string; readonly crs?: string | number }
  | { readonly kind: 'pointCloud'; readonly path: string }
  | { readonly kind: 'lazReference'; readonly path: string }
  | { readonly kind: 'npy'; readonly path: string }
  | { readonly kind: 'model'; readonly directory: string }
  | {
      readonly kind: 'prepareNpy';
      readonly path: string;
      readonly shape: readonly number[];
      readonly seed: number;
    }
  | { readonly kind: 'prepareModel'; readonly directory: string };

/** What one read gave: a value, or an error (its class name and message). */
export type ReadOutcome =
  | { readonly ok: true; readonly value: ReadValue }
  | { readonly ok: false; readonly errorName: string; readonly message: string };

/** The worker's answer: the outcome, and for rasters also `readRasterInfo`'s. */
export interface WorkerReply {
  readonly outcome: ReadOutcome;
  readonly info?: ReadOutcome;
}

/** What became of a job: answered, over the time limit (the process was killed), or the process died. */
export type JobResult =
  | { readonly status: 'done'; readonly reply: WorkerReply }
  | { readonly status: 'hang' }
  | { readonly status: 'died'; readonly detail: string };

interface Slot {
  child: ChildProcess;
  ready: boolean;
  job: { resolve: (result: JobResult) => void; timer: NodeJS.Timeout | null } | null;
  output: string;
}

const WORKER = fileURLToPath(new URL('../../test/fuzz/fuzz-worker.mjs', import.meta.url));
const REGISTER = new URL('../../test/fuzz/register-ts.mjs', import.meta.url).href;

/**
 * Child processes (`node --import register-ts.mjs fuzz-worker.mjs`) that run one job at a time each. A job
 * that takes longer than `timeoutMs` is a hang: the process is killed (SIGKILL, which stops a spinning
 * synchronous decoder too) and replaced. A process that exits during a job (abort, out of memory) is
 * reported as `died` and replaced.
 */
export class ReaderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Array<{ job: WorkerJob; resolve: (result: JobResult) => void }> = [];
  private closed = false;
  private failedStarts = 0;
  /** Why no process starts, once several in a row exited before they were ready. */
  private broken: string | null = null;

  constructor(
    size: number,
    private readonly timeoutMs: number,
  ) {
    for (let index = 0; index < size; index++) this.slots.push(this.spawn());
  }

  /** Runs a job in the next free process. */
  run(job: WorkerJob): Promise<JobResult> {
    return new Promise((resolve) => {
      if (this.broken !== null) return resolve({ status: 'died', detail: this.broken });
      this.queue.push({ job, resolve });
      this.pump();
    });
  }

  /** Kills every process. */
  close(): void {
    this.closed = true;
    for (const slot of this.slots) slot.child.kill('SIGKILL');
  }

  private spawn(): Slot {
    const child = fork(WORKER, [], {
      execArgv: ['--import', REGISTER],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const slot: Slot = { child, ready: false, job: null, output: '' };
    const keep = (chunk: Buffer) => {
      slot.output = (slot.output + chunk.toString()).slice(-2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (message: { ready?: boolean; reply?: WorkerReply }) => {
      if (message.ready) {
        slot.ready = true;
        this.failedStarts = 0;
        this.pump();
        return;
      }
      const job = slot.job;
      if (!job || !message.reply) return;
      slot.job = null;
      if (job.timer) clearTimeout(job.timer);
      job.resolve({ status: 'done', reply: message.reply });
      this.pump();
    });
    child.on('exit', (code, signal) => {
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      const job = slot.job;
      slot.job = null;
      if (job?.timer) clearTimeout(job.timer);
      if (this.closed) return;
      if (!slot.ready) this.failedStarts++;
      if (this.failedStarts > 3) {
        const detail = `fuzz-worker.mjs does not start (exit ${code ?? signal}): ${slot.output}`;
        this.broken = detail;
        job?.resolve({ status: 'died', detail });
        for (const queued of this.queue.splice(0)) queued.resolve({ status: 'died', detail });
        return;
      }
      this.slots[index] = this.spawn();
      job?.resolve({ status: 'died', detail: `exit ${code ?? signal}: ${slot.output.slice(-600)}` });
    });
    return slot;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.job !== null) continue;
      const next = this.queue.shift();
      if (!next) return;
      slot.output = '';
      const entry: NonNullable<Slot['job']> = { resolve: next.resolve, timer: null };
      entry.timer = setTimeout(() => {
        if (slot.job !== entry) return;
        slot.job = null;
        const index = this.slots.indexOf(slot);
        if (index >= 0) this.slots[index] = this.spawn();
        slot.child.kill('SIGKILL');
        entry.resolve({ status: 'hang' });
      }, this.timeoutMs);
      slot.job = entry;
      slot.child.send({ job: next.job });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Campaigns

/** The file formats a campaign mutates. */
export type FuzzFormat = 'GeoTIFF' | 'LAS' | 'LAZ' | 'npy' | 'model.json' | 'model weights';

/** One file to mutate, and how often. */
export interface FuzzSubject {
  readonly format: FuzzFormat;
  /** The file to mutate; for the model formats, the model directory. */
  readonly original: string;
  /** Model formats: the file of the directory that is mutated (`model.json`, `generator.weights.bin`, ...). */
  readonly mutatedFile?: string;
  /** Number of mutants. */
  readonly files: number;
  readonly seed: number;
  /** GeoTIFFs without GeoKeys: the CRS passed to the reader. */
  readonly crs?: string | number;
}

interface FormatRules {
  readonly reader: string;
  readonly extension: string;
  readonly targeted: TargetedEdits;
  readonly python: 'gdal' | 'las' | 'npy' | null;
  readonly headerBytes: (bytes: Uint8Array) => number;
}

const pointDataOffset = (bytes: Uint8Array) =>
  bytes.length >= 100 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(96, true) : bytes.length;

const RULES: Readonly<Record<FuzzFormat, FormatRules>> = {
  GeoTIFF: {
    reader: 'readRaster',
    extension: '.tif',
    targeted: 'tiff',
    python: 'gdal',
    headerBytes: () => 2048,
  },
  LAS: {
    reader: 'readPointCloud',
    extension: '.las',
    targeted: 'las',
    python: 'las',
    headerBytes: pointDataOffset,
  },
  LAZ: {
    reader: 'readPointCloud',
    extension: '.laz',
    targeted: 'las',
    python: null,
    headerBytes: pointDataOffset,
  },
  npy: { reader: 'readNpy', extension: '.npy', targeted: null, python: 'npy', headerBytes: () => 128 },
  'model.json': {
    reader: 'loadSiranModel',
    extension: '',
    targeted: 'json',
    python: null,
    headerBytes: (bytes) => bytes.length,
  },
  'model weights': {
    reader: 'loadSiranModel',
    extension: '',
    targeted: null,
    python: null,
    headerBytes: (bytes) => bytes.length,
  },
};

/** Counts of one format (or of one subject). */
export interface FuzzCounts {
  files: number;
  accepted: number;
  /** Accepted files whose values equal the untouched file's (the mutation hit bytes the reader does not use). */
  acceptedUnchanged: number;
  /** Accepted files whose values were compared with an independent reader (GDAL, NumPy, LAS parse, laz-perf). */
  checkedAgainstReference: number;
  rejected: number;
  byReason: Record<string, number>;
  hangs: number;
  crashes: number;
  mismatches: number;
  /** model.json: accepted files whose configuration, normalisation or metadata differ from the untouched file's. */
  acceptedOtherFields: number;
  /** The mutations of the first few of those (valid values in other fields, which no checksum covers). */
  acceptedOtherFieldsExamples: string[];
  byMutation: Record<string, { files: number; accepted: number }>;
}

/** A hang, a crash or a mismatch, with the mutant kept for a regression test. */
export interface FuzzFinding {
  readonly format: FuzzFormat;
  readonly subject: string;
  readonly mutation: string;
  readonly problem: string;
  readonly savedAs: string | null;
}

/** The result of a campaign. */
export interface CampaignReport {
  readonly reference: 'original' | 'independent';
  readonly seconds: number;
  readonly totals: FuzzCounts;
  readonly formats: Partial<Record<FuzzFormat, FuzzCounts>>;
  readonly subjects: Record<string, FuzzCounts>;
  readonly findings: FuzzFinding[];
}

/** How to run a campaign. */
export interface CampaignOptions {
  readonly pool: ReaderPool;
  /** Scratch directory for the mutants (each round's files are removed after it). */
  readonly directory: string;
  /**
   * `original`: an accepted truncated file (and every accepted model) must read as the untouched file;
   * `independent`: in addition every accepted file is read by an independent reader (GDAL, NumPy and a plain
   * LAS parse in `reference.py`, laz-perf driven directly) and must give the same values.
   */
  readonly reference: 'original' | 'independent';
  /** The Python with GDAL and NumPy (for `independent`). */
  readonly python?: string;
  /** Where hangs, crashes and mismatches are copied; none when absent. */
  readonly findingsDirectory?: string;
  readonly roundSize?: number;
  readonly log?: (line: string) => void;
}

type CountField = { [K in keyof FuzzCounts]: FuzzCounts[K] extends number ? K : never }[keyof FuzzCounts];

function emptyCounts(): FuzzCounts {
  return {
    files: 0,
    accepted: 0,
    acceptedUnchanged: 0,
    checkedAgainstReference: 0,
    rejected: 0,
    byReason: {},
    hangs: 0,
    crashes: 0,
    mismatches: 0,
    acceptedOtherFields: 0,
    acceptedOtherFieldsExamples: [],
    byMutation: {},
  };
}

function jobFor(subject: FuzzSubject, path: string): WorkerJob {
  switch (subject.format) {
    case 'GeoTIFF':
      return { kind: 'raster', path, ...(subject.crs === undefined ? {} : { crs: subject.crs }) };
    case 'LAS':
    case 'LAZ':
      return { kind: 'pointCloud', path };
    case 'npy':
      return { kind: 'npy', path };
    default:
      return { kind: 'model', directory: path };
  }
}

/** Where a mutant goes: a file, or for the model formats a copy of the model directory with one file replaced. */
function placeMutant(subject: FuzzSubject, bytes: Uint8Array, directory: string, index: number): string {
  const rules = RULES[subject.format];
  if (subject.mutatedFile === undefined) {
    const path = join(directory, `${index}${rules.extension}`);
    writeFileSync(path, bytes);
    return path;
  }
  const target = join(directory, String(index));
  mkdirSync(target);
  for (const file of readdirSync(subject.original)) {
    if (file !== subject.mutatedFile) copyFileSync(join(subject.original, file), join(target, file));
  }
  writeFileSync(join(target, subject.mutatedFile), bytes);
  return target;
}

function subjectLabel(subject: FuzzSubject): string {
  return subject.mutatedFile === undefined
    ? basename(subject.original)
    : `${basename(subject.original)}/${subject.mutatedFile}`;
}

/** Whether an error is one the reader documents: its message starts with the reader's name and names the file. */
function isDocumented(outcome: ReadOutcome & { ok: false }, reader: string, path: string): boolean {
  const knownClass = ['Error', 'TypeError', 'RangeError'].includes(outcome.errorName);
  return knownClass && outcome.message.startsWith(`${reader}:`) && outcome.message.includes(path);
}

interface PythonItem {
  readonly kind: 'gdal' | 'las' | 'npy';
  readonly path: string;
}

type PythonAnswer = { ok: true; shape: number[]; digest: string } | { ok: false; error: string };

/** Runs `reference.py` once on a batch of files; a file whose answer is missing (a crash) is retried alone. */
async function runPython(python: string, items: readonly PythonItem[]): Promise<Map<string, PythonAnswer>> {
  const script = fileURLToPath(new URL('../../test/fuzz/reference.py', import.meta.url));
  const answers = new Map<string, PythonAnswer>();
  const once = (batch: readonly PythonItem[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(python, [script], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, GDAL_PAM_ENABLED: 'NO', CPL_LOG: '/dev/null' },
      });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      });
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        for (const line of stdout.split('\n')) {
          if (line.trim() === '') continue;
          const { path, ...answer } = JSON.parse(line) as PythonAnswer & { path: string };
          answers.set(path, answer as PythonAnswer);
        }
        if (batch.length === 1 && !answers.has(batch[0].path)) {
          answers.set(batch[0].path, { ok: false, error: `reference.py died: ${stderr}` });
        }
        resolve();
      });
      child.stdin.end(JSON.stringify(batch));
    });
  await once(items);
  for (const item of items) if (!answers.has(item.path)) await once([item]);
  return answers;
}

const REFERENCE_NAMES: Readonly<Record<FuzzFormat, string>> = {
  GeoTIFF: 'GDAL',
  LAS: 'the plain LAS parse',
  LAZ: 'laz-perf',
  npy: 'NumPy',
  'model.json': 'the untouched model',
  'model weights': 'the untouched model',
};

/**
 * What the independent reader of a format reads from some files (`reference.py` in one Python process for
 * GeoTIFF, LAS and .npy; laz-perf in the pool for LAZ), or `null` for the model formats (whose reference is the
 * untouched model).
 */
async function independentRead(
  subject: FuzzSubject,
  paths: readonly string[],
  options: CampaignOptions,
): Promise<Map<string, PythonAnswer> | null> {
  const kind = RULES[subject.format].python;
  if (kind !== null) {
    return runPython(
      options.python ?? '/usr/bin/python3',
      paths.map((path) => ({ kind, path })),
    );
  }
  if (subject.format !== 'LAZ') return null;
  const results = await Promise.all(paths.map((path) => options.pool.run({ kind: 'lazReference', path })));
  return new Map(
    paths.map((path, index): [string, PythonAnswer] => {
      const result = results[index];
      if (result.status !== 'done')
        return [path, { ok: false, error: `the laz-perf reference ${result.status}` }];
      const { outcome } = result.reply;
      return [
        path,
        outcome.ok
          ? { ok: true, shape: [...outcome.value.shape], digest: outcome.value.digest }
          : { ok: false, error: outcome.message },
      ];
    }),
  );
}

/**
 * Runs a campaign: for each subject, `files` seeded mutants, read in the pool, each with exactly one outcome:
 * a documented rejection (counted by reason), or an acceptance whose values must equal the reference; anything
 * else (a hang, another error, a dead process, values that differ) is a finding.
 */
export async function runCampaign(
  subjects: readonly FuzzSubject[],
  options: CampaignOptions,
): Promise<CampaignReport> {
  const started = performance.now();
  const { pool, reference } = options;
  const roundSize = options.roundSize ?? 200;
  const totals = emptyCounts();
  const formats: Partial<Record<FuzzFormat, FuzzCounts>> = {};
  const bySubject: Record<string, FuzzCounts> = {};
  const findings: FuzzFinding[] = [];
  if (options.findingsDirectory) mkdirSync(options.findingsDirectory, { recursive: true });

  for (const subject of subjects) {
    const rules = RULES[subject.format];
    const label = subjectLabel(subject);
    const counts = emptyCounts();
    bySubject[label] = counts;
    const formatCounts = formats[subject.format] ?? emptyCounts();
    formats[subject.format] = formatCounts;
    const all = [counts, formatCounts, totals];
    const add = (field: CountField) => {
      for (const target of all) target[field]++;
    };
    const originalFile =
      subject.mutatedFile === undefined ? subject.original : join(subject.original, subject.mutatedFile);
    const original = new Uint8Array(readFileSync(originalFile));
    const baseline = await pool.run(jobFor(subject, subject.original));
    if (baseline.status !== 'done' || !baseline.reply.outcome.ok) {
      throw new Error(`runCampaign: the untouched ${label} does not read: ${JSON.stringify(baseline)}`);
    }
    const originalValue = baseline.reply.outcome.value;
    if (reference === 'independent') {
      const answer = (await independentRead(subject, [subject.original], options))?.get(subject.original);
      if (
        answer &&
        (!answer.ok || valueKey({ shape: answer.shape, digest: answer.digest }) !== valueKey(originalValue))
      ) {
        throw new Error(
          `runCampaign: ${REFERENCE_NAMES[subject.format]} and the reader disagree on the untouched ${label}: ${JSON.stringify(answer)} vs ${valueKey(originalValue)}`,
        );
      }
    }
    const random = seededRandom(subject.seed);
    const headerBytes = rules.headerBytes(original);
    let made = 0;
    for (let round = 0; made < subject.files; round++) {
      const directory = join(options.directory, `${label.replace(/[^\w.-]/g, '_')}-${round}`);
      mkdirSync(directory, { recursive: true });
      const batch = Array.from({ length: Math.min(roundSize, subject.files - made) }, (_, offset) => {
        const index = made + offset;
        const mutation = mutate(original, random, headerBytes, rules.targeted);
        return { index, mutation, path: placeMutant(subject, mutation.bytes, directory, index) };
      });
      made += batch.length;
      const finding = (entry: (typeof batch)[number], problem: string) => {
        add(problem.startsWith('hang') ? 'hangs' : problem.startsWith('crash') ? 'crashes' : 'mismatches');
        let savedAs: string | null = null;
        if (options.findingsDirectory) {
          savedAs = join(
            options.findingsDirectory,
            `${label.replace(/[^\w.-]/g, '_')}-${entry.index}${rules.extension || '.bin'}`,
          );
          writeFileSync(savedAs, entry.mutation.bytes);
        }
        findings.push({
          format: subject.format,
          subject: label,
          mutation: entry.mutation.description,
          problem,
          savedAs,
        });
        options.log?.(`FINDING ${label} #${entry.index} (${entry.mutation.description}): ${problem}`);
      };
      const results = await Promise.all(batch.map((entry) => pool.run(jobFor(subject, entry.path))));
      const accepted: Array<{ entry: (typeof batch)[number]; value: ReadValue }> = [];
      const report = (entry: (typeof batch)[number], problem: string): null => {
        finding(entry, problem);
        return null;
      };
      const classify = (entry: (typeof batch)[number], result: JobResult): ReadValue | null => {
        add('files');
        for (const target of all) {
          target.byMutation[entry.mutation.kind] ??= { files: 0, accepted: 0 };
          target.byMutation[entry.mutation.kind].files++;
        }
        if (result.status === 'hang') return report(entry, `hang: no answer within the time limit`);
        if (result.status === 'died')
          return report(entry, `crash: the reader process died (${result.detail})`);
        const { outcome, info } = result.reply;
        if (info && !info.ok && !isDocumented(info, rules.reader, entry.path)) {
          return report(entry, `crash: readRasterInfo threw ${info.errorName}: ${info.message}`);
        }
        if (!outcome.ok) {
          if (!isDocumented(outcome, rules.reader, entry.path)) {
            return report(entry, `crash: ${outcome.errorName}: ${outcome.message}`);
          }
          add('rejected');
          const reason = rejectionReason(outcome.message, [entry.path]);
          for (const target of all) target.byReason[reason] = (target.byReason[reason] ?? 0) + 1;
          return null;
        }
        add('accepted');
        for (const target of all) target.byMutation[entry.mutation.kind].accepted++;
        const value = outcome.value;
        if (info) {
          const shape = info.ok ? info.value.shape : null;
          if (shape === null || JSON.stringify(shape) !== JSON.stringify(value.shape)) {
            return report(
              entry,
              `mismatch: readRaster read ${JSON.stringify(value.shape)} but readRasterInfo gave ${info.ok ? JSON.stringify(shape) : info.message}`,
            );
          }
        }
        const unchanged = valueKey(value) === valueKey(originalValue);
        if (unchanged) add('acceptedUnchanged');
        const model = subject.format === 'model.json' || subject.format === 'model weights';
        if (model && value.fields !== originalValue.fields) {
          add('acceptedOtherFields');
          for (const target of all) {
            if (target.acceptedOtherFieldsExamples.length < 50) {
              target.acceptedOtherFieldsExamples.push(entry.mutation.description);
            }
          }
        }
        if ((entry.mutation.truncated || model) && !unchanged) {
          return report(
            entry,
            `mismatch: accepted with values that differ from the untouched file's (${valueKey(value)} vs ${valueKey(originalValue)})`,
          );
        }
        return value;
      };
      for (const [position, entry] of batch.entries()) {
        const value = classify(entry, results[position]);
        if (value !== null) accepted.push({ entry, value });
      }
      if (reference === 'independent' && accepted.length > 0) {
        const answers = await independentRead(
          subject,
          accepted.map(({ entry }) => entry.path),
          options,
        );
        if (answers !== null) {
          const who = REFERENCE_NAMES[subject.format];
          for (const { entry, value } of accepted) {
            add('checkedAgainstReference');
            const answer = answers.get(entry.path) ?? { ok: false, error: 'no answer' };
            if (!answer.ok) {
              finding(entry, `mismatch: accepted, but ${who} refuses it: ${answer.error}`);
              continue;
            }
            const expected = valueKey({ shape: answer.shape, digest: answer.digest });
            if (expected !== valueKey(value))
              finding(entry, `mismatch: ${valueKey(value)} read, ${who} reads ${expected}`);
          }
        }
      }
      rmSync(directory, { recursive: true, force: true });
    }
    options.log?.(
      `${subject.format} ${label}: ${counts.files} files, ${counts.accepted} accepted, ${counts.rejected} rejected, ` +
        `${counts.hangs} hangs, ${counts.crashes} crashes, ${counts.mismatches} mismatches`,
    );
  }
  return {
    reference,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    totals,
    formats,
    subjects: bySubject,
    findings,
  };
}

/** A plain-text table of a campaign's counts per format, with the rejections by reason. */
export function formatReport(report: CampaignReport): string {
  const lines = [
    `fuzz campaign (${report.reference === 'independent' ? 'independent references' : 'untouched files as reference'}), ${report.seconds} s`,
  ];
  const row = (name: string, counts: FuzzCounts) =>
    `${name.padEnd(14)} files ${String(counts.files).padStart(6)}  accepted ${String(counts.accepted).padStart(5)} ` +
    `(unchanged ${counts.acceptedUnchanged}, vs reference ${counts.checkedAgainstReference})  rejected ${String(counts.rejected).padStart(5)}  ` +
    `hangs ${counts.hangs}  crashes ${counts.crashes}  mismatches ${counts.mismatches}`;
  for (const [format, counts] of Object.entries(report.formats)) {
    lines.push(row(format, counts));
    const reasons = Object.entries(counts.byReason).sort((a, b) => b[1] - a[1]);
    for (const [reason, count] of reasons) lines.push(`    ${String(count).padStart(6)}  ${reason}`);
  }
  lines.push(row('total', report.totals));
  return lines.join('\n');
}

/** A file of a campaign and its share of the mutants. */
export interface SubjectPlan {
  readonly format: FuzzFormat;
  readonly original: string;
  readonly mutatedFile?: string;
  readonly weight: number;
  readonly crs?: string | number;
}

/** The files made by the worker for a campaign: `.npy` arrays (by `writeNpy`) and a tiny model directory. */
export interface GeneratedFiles {
  readonly npy: readonly string[];
  readonly model: string;
}

/** Shapes of the `.npy` arrays a campaign mutates. */
const NPY_SHAPES: ReadonlyArray<readonly number[]> = [[3, 5, 7], [64], [4, 16, 16, 1]];

/**
 * Writes the generated originals with the worker: `.npy` arrays by `@siran/dataset-builder`'s `writeNpy`, and
 * `saveSiranModel(createSiranModel('tiny'))` from `@siran/siran-model`.
 */
export async function prepareGeneratedFiles(pool: ReaderPool, directory: string): Promise<GeneratedFiles> {
  mkdirSync(directory, { recursive: true });
  const npy = NPY_SHAPES.map((shape) => join(directory, `array_${shape.join('x')}.npy`));
  const model = join(directory, 'tiny-model');
  const jobs: WorkerJob[] = [
    ...npy.map(
      (path, index): WorkerJob => ({ kind: 'prepareNpy', path, shape: NPY_SHAPES[index], seed: index + 1 }),
    ),
    { kind: 'prepareModel', directory: model },
  ];
  for (const result of await Promise.all(jobs.map((job) => pool.run(job)))) {
    if (result.status !== 'done' || !result.reply.outcome.ok) {
      throw new Error(`prepareGeneratedFiles: ${JSON.stringify(result)}`);
    }
  }
  return { npy, model };
}

/**
 * The files of the campaign with their shares (per cent): GeoTIFF 55 (striped, tiled, LZW, deflate with
 * predictors, zstd, big-endian, pixel-interleaved RGB, planar BigTIFF, COG, baseline TIFF), LAS 15 (point
 * formats 0-10), LAZ 8, `.npy` 10, model.json 8, weight files 4.
 */
export function campaignPlans(fixtures: string, generated: GeneratedFiles): SubjectPlan[] {
  const fixture = (name: string) => join(fixtures, name);
  const tiff = (name: string, weight: number, crs?: number): SubjectPlan => ({
    format: 'GeoTIFF',
    original: fixture(name),
    weight,
    ...(crs === undefined ? {} : { crs }),
  });
  return [
    tiff('zion_srtm_crop.tif', 6),
    tiff('variant_tiled_lzw.tif', 7),
    tiff('variant_int16_be.tif', 6),
    tiff('variant_float64.tif', 6),
    tiff('variant_int16_predictor.tif', 6),
    tiff('variant_uint32_zstd.tif', 6),
    tiff('ign_rgb_crop.tif', 6),
    tiff('variant_bigtiff.tif', 7),
    tiff('opengeos_dtm.tif', 2.5),
    tiff('variant_baseline.tif', 2.5, 32725),
    ...Array.from(
      { length: 11 },
      (_, format): SubjectPlan => ({
        format: 'LAS',
        original: fixture(`synthetic_format${format}.las`),
        weight: 15 / 11,
      }),
    ),
    { format: 'LAZ', original: fixture('autzen_trim.laz'), weight: 3 },
    { format: 'LAZ', original: fixture('ign_77055_627760.laz'), weight: 5 },
    ...generated.npy.map(
      (path, index): SubjectPlan => ({ format: 'npy', original: path, weight: index === 0 ? 4 : 3 }),
    ),
    { format: 'model.json', original: generated.model, mutatedFile: 'model.json', weight: 8 },
    { format: 'model weights', original: generated.model, mutatedFile: 'generator.weights.bin', weight: 1.5 },
    {
      format: 'model weights',
      original: generated.model,
      mutatedFile: 'discriminator.weights.bin',
      weight: 1.5,
    },
    {
      format: 'model weights',
      original: generated.model,
      mutatedFile: 'attentionHead.weights.bin',
      weight: 1,
    },
  ];
}

/** Spreads `total` mutants over the plans by weight (exactly `total` in all), seeds `seed`, `seed + 1`, ... */
export function planSubjects(total: number, plans: readonly SubjectPlan[], seed: number): FuzzSubject[] {
  const sum = plans.reduce((accumulated, plan) => accumulated + plan.weight, 0);
  let given = 0;
  let weights = 0;
  return plans.map((plan, index) => {
    weights += plan.weight;
    const upTo = Math.round((total * weights) / sum);
    const files = upTo - given;
    given = upTo;
    const { weight: _, ...rest } = plan;
    return { ...rest, files, seed: seed + index };
  });
}
