#!/usr/bin/env node
// Packs every published package with `npm pack`, installs the tarballs into a fresh temporary project
// (with the tfjs peers), then imports each package from Node and type-checks an import of each with tsc.
// Fails if a file is missing from a package's published files or an export does not resolve.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const packagesDir = path.join(root, 'packages');
const dirs = readdirSync(packagesDir).filter((d) => existsSync(path.join(packagesDir, d, 'package.json')));
const work = mkdtempSync(path.join(tmpdir(), 'siran-smoke-'));
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  const tarballs = [];
  const peers = new Map();
  const names = [];
  for (const dir of dirs) {
    const base = path.join(packagesDir, dir);
    const pkg = JSON.parse(readFileSync(path.join(base, 'package.json'), 'utf8'));
    names.push(pkg.name);
    for (const [peer, range] of Object.entries(pkg.peerDependencies ?? {})) {
      if (!pkg.peerDependenciesMeta?.[peer]?.optional) peers.set(peer, range);
    }
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], base));
    tarballs.push(path.join(work, packed[0].filename));
    console.log(
      `packed ${pkg.name}: ${packed[0].files.length} files, ${(packed[0].size / 1024).toFixed(0)} KiB`,
    );
  }
  const project = path.join(work, 'consumer');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  const peerSpecs = [...peers].map(([name, range]) => `${name}@${range}`);
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs, ...peerSpecs],
    project,
  );

  const lines = names.map((name, i) => `import * as package${i} from '${name}';`);
  lines.push(`const loaded = { ${names.map((name, i) => `'${name}': package${i}`).join(', ')} };`);
  lines.push('for (const [name, module] of Object.entries(loaded)) {');
  lines.push('  const count = Object.keys(module).length;');
  lines.push("  if (count === 0) throw new Error(name + ' exports nothing');");
  lines.push("  console.log('imported ' + name + ': ' + count + ' exports');");
  lines.push('}');
  writeFileSync(path.join(project, 'consumer.ts'), `${lines.join('\n')}\n`);
  writeFileSync(path.join(project, 'consumer.mjs'), `${lines.join('\n')}\n`);
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
      },
      files: ['consumer.ts'],
    }),
  );
  process.stdout.write(run('node', ['consumer.mjs'], project));
  run(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project);
  // Every bin of the installed packages answers --help.
  const bins = path.join(project, 'node_modules', '.bin');
  for (const bin of existsSync(bins) ? readdirSync(bins).filter((name) => name.startsWith('siran')) : []) {
    const help = run(path.join(bins, bin), ['--help'], project);
    if (!help.includes('Usage:')) throw new Error(`consumer-smoke: ${bin} --help printed no usage`);
    console.log(`ran ${bin} --help`);
  }
  console.log(`consumer-smoke: ${names.length} packages install, import and type-check from their tarballs`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
