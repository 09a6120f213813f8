import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  campaignPlans,
  formatReport,
  planSubjects,
  prepareGeneratedFiles,
  ReaderPool,
  runCampaign,
} from './internal/fuzz-campaign.js';

/**
 * The fuzz campaign (slow lane): `SIRAN_FUZZ_FILES` (default 50 000) seeded mutants (truncations, bit flips,
 * 0xFF/0x00 runs, targeted TIFF directory, LAS header and JSON field edits) of GeoTIFF, LAS, LAZ, `.npy`,
 * model.json and weight files, each read in a child process under a time limit (`SIRAN_FUZZ_TIMEOUT_MS`,
 * default 5000). Every file is refused with a documented error naming it, or read with exactly the values of
 * an independent reader of the same mutated file: GDAL (GeoTIFF), NumPy (.npy), a plain LAS parse (LAS),
 * laz-perf driven directly (LAZ), the untouched model (model files). Counts go to `.tmp/fuzz-counts.json`.
 *
 * Needs /usr/bin/python3 with GDAL and NumPy (`apt-get install -y gdal-bin python3-gdal python3-numpy`), or
 * `SIRAN_FUZZ_SKIP_REFERENCE=1` to compare accepted files with the untouched files only.
 * Run: `npx vitest run --project slow packages/geo-io/src/read-fuzz.slow.test.ts`.
 */
const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FILES = Number(process.env.SIRAN_FUZZ_FILES ?? 50_000);
const SEED = Number(process.env.SIRAN_FUZZ_SEED ?? 1);
const TIMEOUT_MS = Number(process.env.SIRAN_FUZZ_TIMEOUT_MS ?? 5000);
const WORKERS = Number(process.env.SIRAN_FUZZ_WORKERS ?? 2);
const SKIP_REFERENCE = process.env.SIRAN_FUZZ_SKIP_REFERENCE === '1';
const PYTHON = process.env.SIRAN_FUZZ_PYTHON ?? '/usr/bin/python3';

const INSTALL = `The fuzz campaign compares every accepted file with GDAL and NumPy through ${PYTHON} (set SIRAN_FUZZ_PYTHON for another one), which cannot import them. On Debian/Ubuntu: apt-get install -y gdal-bin python3-gdal python3-numpy. Or set SIRAN_FUZZ_SKIP_REFERENCE=1 to compare accepted files with the untouched files only.`;

/** GDAL's and NumPy's versions, or `null` when the Python cannot import them. */
function referenceVersions(): string | null {
  const probe = spawnSync(
    PYTHON,
    [
      '-c',
      'from osgeo import gdal; import numpy; print("GDAL", gdal.__version__, "NumPy", numpy.__version__)',
    ],
    { encoding: 'utf8' },
  );
  return probe.status === 0 ? probe.stdout.trim() : null;
}

const directory = mkdtempSync(join(tmpdir(), 'geo-io-fuzz-campaign-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('fuzz campaign: mutated and truncated GeoTIFF, LAS, LAZ, .npy and model files (slow, seeded)', () => {
  it(
    `${FILES} files: each refused with a documented error naming it, or read exactly as an independent reader reads it; no hang, no crash`,
    async () => {
      expect(FILES, 'SIRAN_FUZZ_FILES').toBeGreaterThan(0);
      const versions = SKIP_REFERENCE ? null : referenceVersions();
      if (!SKIP_REFERENCE && versions === null) throw new Error(INSTALL);
      const pool = new ReaderPool(WORKERS, TIMEOUT_MS);
      try {
        const generated = await prepareGeneratedFiles(pool, join(directory, 'generated'));
        const subjects = planSubjects(FILES, campaignPlans(FIXTURES, generated), SEED);
        const report = await runCampaign(subjects, {
          pool,
          directory: join(directory, 'mutants'),
          reference: SKIP_REFERENCE ? 'original' : 'independent',
          python: PYTHON,
          findingsDirectory: join(ROOT, '.tmp', 'fuzz-findings'),
          log: (line) => console.log(line),
        });
        console.log(formatReport(report));
        mkdirSync(join(ROOT, '.tmp'), { recursive: true });
        writeFileSync(
          join(ROOT, '.tmp', 'fuzz-counts.json'),
          `${JSON.stringify(
            {
              command: 'npx vitest run --project slow packages/geo-io/src/read-fuzz.slow.test.ts',
              files: FILES,
              seed: SEED,
              timeoutMs: TIMEOUT_MS,
              workers: WORKERS,
              references: versions ?? 'skipped (SIRAN_FUZZ_SKIP_REFERENCE=1)',
              node: process.version,
              ...report,
            },
            null,
            2,
          )}\n`,
        );
        const problems = report.findings.map(
          (finding) => `${finding.subject} (${finding.mutation}): ${finding.problem}`,
        );
        expect(problems).toEqual([]);
        expect(report.totals.files).toBe(FILES);
        expect(report.totals.accepted + report.totals.rejected).toBe(FILES);
        expect([report.totals.hangs, report.totals.crashes, report.totals.mismatches]).toEqual([0, 0, 0]);
      } finally {
        pool.close();
      }
    },
    60 * 60_000,
  );
});
