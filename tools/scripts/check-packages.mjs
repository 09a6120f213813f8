#!/usr/bin/env node
// Checks that every published package has the shape the repository promises: an ESM exports map pointing
// into dist, types, files, engines, a README with an install section and an example, an index with explicit
// named exports, colocated tests, tfjs as a peer, no backend imported by library code, and only public
// entries of sibling packages imported. Exits 1 and lists every problem found.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const problems = [];
const report = (pkg, message) => problems.push(`${pkg}: ${message}`);

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

const rootPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const packagesDir = path.join(root, 'packages');
/** Source text without comments, so that imports quoted in TSDoc examples are not taken for imports. */
const code = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const names = readdirSync(packagesDir).filter((d) => existsSync(path.join(packagesDir, d, 'package.json')));
for (const dir of names) {
  const base = path.join(packagesDir, dir);
  const pkg = JSON.parse(readFileSync(path.join(base, 'package.json'), 'utf8'));
  const label = pkg.name ?? dir;
  if (pkg.name !== `@siran/${dir}`) report(label, `name must be @siran/${dir}`);
  if (pkg.private) report(label, 'a package under packages/ is published: remove "private"');
  for (const field of ['version', 'description', 'license'])
    if (!pkg[field]) report(label, `missing "${field}"`);
  if (pkg.type !== 'module') report(label, '"type" must be "module" (ESM only)');
  const dot = pkg.exports?.['.'];
  if (dot?.types !== './dist/index.d.ts' || dot?.default !== './dist/index.js') {
    report(label, 'exports["."] must be { "types": "./dist/index.d.ts", "default": "./dist/index.js" }');
  }
  if (pkg.exports?.['./package.json'] !== './package.json')
    report(label, 'exports must include "./package.json"');
  if (pkg.types !== './dist/index.d.ts') report(label, '"types" must be ./dist/index.d.ts');
  if (!Array.isArray(pkg.files) || !pkg.files.includes('dist')) report(label, '"files" must include "dist"');
  if (!pkg.engines?.node) report(label, 'missing engines.node');
  if (pkg.sideEffects === undefined)
    report(label, '"sideEffects" must be false or list the files that register');
  if (pkg.publishConfig?.access !== 'public') report(label, 'publishConfig.access must be "public"');
  for (const script of ['build', 'test', 'typecheck'])
    if (!pkg.scripts?.[script]) report(label, `missing script "${script}"`);
  if (pkg.dependencies?.['@tensorflow/tfjs-core'] || pkg.dependencies?.['@tensorflow/tfjs-layers']) {
    report(label, '@tensorflow/tfjs-core and tfjs-layers must be peerDependencies, not dependencies');
  }

  const readmePath = path.join(base, 'README.md');
  if (!existsSync(readmePath)) report(label, 'missing README.md');
  else {
    const readme = readFileSync(readmePath, 'utf8');
    if (!/^## Install/m.test(readme)) report(label, 'README.md needs an "## Install" section');
    if (!/```(ts|typescript|js)\n/.test(readme))
      report(label, 'README.md needs a TypeScript example code block');
  }

  const tsconfigPath = path.join(base, 'tsconfig.json');
  const tsconfig = existsSync(tsconfigPath) ? JSON.parse(readFileSync(tsconfigPath, 'utf8')) : null;
  if (!tsconfig) report(label, 'missing tsconfig.json');
  else if (tsconfig.extends !== '../../tsconfig.base.json')
    report(label, 'tsconfig.json must extend ../../tsconfig.base.json');

  const indexPath = path.join(base, 'src', 'index.ts');
  if (!existsSync(indexPath)) report(label, 'missing src/index.ts');
  else if (/^export \* from/m.test(readFileSync(indexPath, 'utf8')))
    report(label, 'src/index.ts must use explicit named exports, not export *');

  const sources = walk(path.join(base, 'src')).filter((f) => f.endsWith('.ts'));
  const tests = sources.filter((f) => f.endsWith('.test.ts'));
  if (tests.length === 0) report(label, 'no colocated *.test.ts');
  const declared = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.devDependencies };
  const references = new Set((tsconfig?.references ?? []).map((r) => path.basename(r.path)));
  for (const file of sources) {
    const text = code(readFileSync(file, 'utf8'));
    const relative = path.relative(root, file);
    const isTest = file.endsWith('.test.ts');
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\s[\w*\s{},$]*?\sfrom\s*['"]([^'"]+)['"]/gm),
      ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((match) => match[1]);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const target = path.resolve(path.dirname(file), specifier);
        if (!target.startsWith(base + path.sep))
          report(label, `${relative} imports ${specifier}, outside the package`);
        continue;
      }
      if (specifier.startsWith('node:')) continue;
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0];
      if (name.startsWith('@siran/') && specifier !== name)
        report(label, `${relative} imports ${specifier}: only public entries of siblings`);
      const declaredAtRoot = isTest && rootPackage.devDependencies?.[name];
      if (!declared[name] && !declaredAtRoot && name !== label)
        report(label, `${relative} imports ${name}, which package.json does not declare`);
      if (name.startsWith('@siran/') && !isTest && !references.has(name.slice('@siran/'.length))) {
        report(
          label,
          `${relative} imports ${name} but tsconfig.json has no reference to ../${name.slice(7)}`,
        );
      }
      if (dir !== 'backend' && !isTest && /^@tensorflow\/tfjs-(backend-|node)/.test(name)) {
        report(label, `${relative} imports the backend ${name}: library code never imports a backend`);
      }
    }
    if (dir !== 'backend' && !isTest && /\bsetBackend\s*\(/.test(text))
      report(label, `${relative} calls setBackend`);
  }
}

if (problems.length > 0) {
  console.error(
    `check-packages: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(`check-packages: ${names.length} packages have the expected shape (${names.join(', ')})`);
