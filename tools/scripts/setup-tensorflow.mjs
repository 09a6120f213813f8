#!/usr/bin/env node
// Installs the native TensorFlow backend (`@tensorflow/tfjs-node`) without its own install script: the addon is
// built with node-gyp against the libtensorflow shared libraries and C headers that the tensorflow-cpu wheel ships.
// Idempotent: a second run checks and returns. Writes only inside the repository (node_modules and .cache/).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** `@tensorflow/tfjs-node`, the version of every `@tensorflow/*` package of the repository. */
export const TFJS_NODE_VERSION = '4.22.0';

/**
 * The wheel whose libtensorflow the addon links. Only its shared libraries and C headers are used, never its Python
 * code, so the CPython 3.11 build is taken whatever Python runs pip; the file name and checksum are pinned.
 */
export const TENSORFLOW_WHEEL = Object.freeze({
  project: 'tensorflow-cpu',
  version: '2.21.0',
  file: 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl',
  sha256: '2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c',
  platform: 'manylinux_2_27_x86_64',
  pythonVersion: '3.11',
  abi: 'cp311',
});

/** Members of the wheel that the addon needs: the C and eager C API libraries and the headers they include. */
export const WHEEL_MEMBERS = Object.freeze([
  'tensorflow/libtensorflow_cc.so.2',
  'tensorflow/libtensorflow_framework.so.2',
  'tensorflow/include/tensorflow/c/',
  'tensorflow/include/tensorflow/core/platform/',
  'tensorflow/include/tsl/',
  'tensorflow/include/xla/tsl/c/',
]);

const HELP = `Usage: npm run setup:tensorflow [-- options]

Installs the native TensorFlow backend for Siran: @tensorflow/tfjs-node ${TFJS_NODE_VERSION}, its addon built with
node-gyp against libtensorflow from the ${TENSORFLOW_WHEEL.project} ${TENSORFLOW_WHEEL.version} wheel (fetched by pip,
checked against its SHA-256). Linux x86-64 only; needs python3 with pip, a C++ compiler and make. Where
"npm install @tensorflow/tfjs-node" works as shipped (its install script downloads libtensorflow), prefer that.

Running it again checks the install and returns; after "npm install" (which removes packages it does not list)
it re-installs from the cache in .cache/tensorflow without fetching anything.

Options:
  --check          only report whether @tensorflow/tfjs-node loads (exit 1 when it does not)
  --force          rebuild even when it loads
  --python PATH    interpreter whose pip fetches the wheel (default: $PYTHON, else python3)
  --cache DIR      where the wheel, libtensorflow and the built addon are kept (default: .cache/tensorflow)
  -h, --help       this text
`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An error the user can act on: printed as one message, without a stack. */
export class SetupError extends Error {}

/**
 * SHA-256 of a file, streamed.
 *
 * @param file - Path of the file.
 * @returns The hexadecimal digest.
 */
export async function sha256File(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Refuses a file whose SHA-256 is not the expected one.
 *
 * @param file - Path of the file.
 * @param expected - Expected hexadecimal digest.
 * @throws SetupError naming the file and both digests.
 */
export async function verifySha256(file, expected) {
  const actual = await sha256File(file);
  if (actual !== expected.toLowerCase()) {
    throw new SetupError(
      `${file}: SHA-256 is ${actual}, expected ${expected}; the file is not the pinned wheel (corrupt or ` +
        'substituted). Delete it and run again.',
    );
  }
}

/**
 * The N-API version node-pre-gyp would build for: the highest the package lists that this Node supports.
 *
 * @param packageVersions - `binary.napi_versions` of the package.
 * @param nodeVersion - `process.versions.napi` of this Node.
 * @returns The version.
 * @throws SetupError when none is supported.
 */
export function napiBuildVersion(packageVersions, nodeVersion) {
  const supported = packageVersions.filter((version) => version <= nodeVersion);
  if (supported.length === 0) {
    throw new SetupError(
      `this Node.js supports N-API ${nodeVersion}; @tensorflow/tfjs-node needs one of ${packageVersions.join(', ')}`,
    );
  }
  return Math.max(...supported);
}

function run(command, args, options = {}) {
  const child = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (child.error) return { ok: false, output: child.error.message, status: -1 };
  return {
    ok: child.status === 0,
    output: `${child.stdout ?? ''}${child.stderr ?? ''}`,
    status: child.status,
  };
}

function say(message) {
  process.stdout.write(`setup:tensorflow: ${message}\n`);
}

/** Loads tfjs-node in a child process and runs one small convolution; returns what it reported. */
export function probeNativeBackend(cwd = root) {
  const script = `
    const tf = await import('@tensorflow/tfjs-node');
    const y = tf.conv2d(tf.ones([1, 8, 8, 2]), tf.ones([3, 3, 2, 4]), 1, 'same');
    const centre = (await y.data())[(3 * 8 + 3) * 4];
    if (centre !== 18) throw new Error('conv2d gave ' + centre + ', expected 18');
    console.log(JSON.stringify({ backend: tf.getBackend(), tensorflow: tf.backend().binding.TF_Version }));`;
  const child = run(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  const line = child.output
    .trim()
    .split('\n')
    .find((text) => text.startsWith('{"backend"'));
  if (child.ok && line) return { ok: true, ...JSON.parse(line) };
  const reason = child.output.trim().split('\n').filter(Boolean);
  return { ok: false, reason: reason.find((text) => /Error/.test(text)) ?? reason.at(-1) ?? 'no output' };
}

function checkPlatform() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SetupError(
      `the pinned wheel is for Linux x86-64, this is ${process.platform}-${process.arch}; use ` +
        `"npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION}" (prebuilt libtensorflow for macOS and Windows)`,
    );
  }
}

function checkTools(python) {
  const pip = run(python, ['-m', 'pip', '--version']);
  if (!pip.ok) {
    throw new SetupError(
      `"${python} -m pip" does not run (${pip.output.trim().split('\n').pop()}); install Python 3 with pip ` +
        '(Debian: apt-get install python3-pip) or name an interpreter with --python',
    );
  }
  for (const [tool, hint] of [
    ['c++', 'a C++ compiler (Debian: apt-get install g++)'],
    ['make', 'make (Debian: apt-get install make)'],
  ]) {
    if (!run(tool, ['--version']).ok) throw new SetupError(`"${tool}" is not on PATH; install ${hint}`);
  }
}

function nodeGypScript() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    candidates.push(
      path.join(
        path.dirname(process.env.npm_execpath),
        '..',
        'node_modules',
        'node-gyp',
        'bin',
        'node-gyp.js',
      ),
    );
  }
  const globalRoot = run('npm', ['root', '-g']);
  if (globalRoot.ok) {
    candidates.push(
      path.join(globalRoot.output.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new SetupError(
      `node-gyp not found (looked at ${candidates.join(', ')}); it ships with npm, reinstall npm`,
    );
  }
  return found;
}

async function fetchWheel(python, cache) {
  const wheels = path.join(cache, 'wheels');
  const wheel = path.join(wheels, TENSORFLOW_WHEEL.file);
  if (!existsSync(wheel)) {
    say(`fetching ${TENSORFLOW_WHEEL.file} with pip (about 270 MB)`);
    mkdirSync(wheels, { recursive: true });
    const pip = run(
      python,
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--platform',
        TENSORFLOW_WHEEL.platform,
        '--python-version',
        TENSORFLOW_WHEEL.pythonVersion,
        '--implementation',
        'cp',
        '--abi',
        TENSORFLOW_WHEEL.abi,
        '--dest',
        wheels,
        `${TENSORFLOW_WHEEL.project}==${TENSORFLOW_WHEEL.version}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (!pip.ok || !existsSync(wheel)) {
      throw new SetupError(
        `pip could not fetch ${TENSORFLOW_WHEEL.project}==${TENSORFLOW_WHEEL.version} ` +
          `(${pip.output.trim().split('\n').pop()}); it needs a package index or a local wheel mirror`,
      );
    }
  }
  await verifySha256(wheel, TENSORFLOW_WHEEL.sha256);
  return wheel;
}

/** Extracts the libraries and headers into `<cache>/libtensorflow-<version>` (through a temporary folder). */
function extractLibtensorflow(python, wheel, cache) {
  const target = path.join(cache, `libtensorflow-${TENSORFLOW_WHEEL.version}`);
  const marker = path.join(target, 'sha256');
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === TENSORFLOW_WHEEL.sha256) return target;
  say('extracting libtensorflow and its C headers from the wheel');
  const temporary = `${target}.${process.pid}.tmp`;
  rmSync(temporary, { recursive: true, force: true });
  const script = `
import sys, zipfile
wheel, out, prefixes = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if any(n == p or (p.endswith('/') and n.startswith(p)) for p in prefixes)]
    missing = [p for p in prefixes if not any(n == p or n.startswith(p) for n in names)]
    if missing:
        sys.exit('wheel lacks ' + ', '.join(missing))
    for n in names:
        z.extract(n, out)
`;
  const extracted = run(python, ['-c', script, wheel, temporary, ...WHEEL_MEMBERS]);
  if (!extracted.ok) throw new SetupError(`extracting ${wheel} failed: ${extracted.output.trim()}`);
  mkdirSync(path.join(temporary, 'lib'));
  for (const library of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    renameSync(path.join(temporary, 'tensorflow', library), path.join(temporary, 'lib', library));
  }
  renameSync(path.join(temporary, 'tensorflow', 'include'), path.join(temporary, 'include'));
  rmSync(path.join(temporary, 'tensorflow'), { recursive: true });
  writeFileSync(path.join(temporary, 'sha256'), `${TENSORFLOW_WHEEL.sha256}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(temporary, target);
  return target;
}

/** `npm install --no-save --ignore-scripts`, leaving package.json and the lock file byte for byte as they were. */
function installTfjsNode() {
  const installed = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node', 'package.json');
  if (existsSync(installed) && JSON.parse(readFileSync(installed, 'utf8')).version === TFJS_NODE_VERSION)
    return;
  say(`npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION} (without its install script)`);
  const kept = ['package.json', 'package-lock.json']
    .map((name) => path.join(root, name))
    .filter((file) => existsSync(file))
    .map((file) => [file, readFileSync(file)]);
  try {
    const npm = run(
      'npm',
      [
        'install',
        '--no-save',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`,
      ],
      { cwd: root },
    );
    if (!npm.ok) throw new SetupError(`npm install @tensorflow/tfjs-node failed:\n${npm.output.trim()}`);
  } finally {
    for (const [file, content] of kept) writeFileSync(file, content);
  }
}

/** Points the package's deps/ at the extracted libtensorflow (the addon's rpath is `$ORIGIN/../../deps/lib`). */
function linkDeps(packageDir, libtensorflow) {
  const deps = path.join(packageDir, 'deps');
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(path.join(deps, 'lib'), { recursive: true });
  symlinkSync(path.join(libtensorflow, 'include'), path.join(deps, 'include'));
  for (const library of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    symlinkSync(path.join(libtensorflow, 'lib', library), path.join(deps, 'lib', library));
  }
  // The names binding.gyp links with (-ltensorflow -ltensorflow_framework).
  symlinkSync('libtensorflow_cc.so.2', path.join(deps, 'lib', 'libtensorflow.so'));
  symlinkSync('libtensorflow_framework.so.2', path.join(deps, 'lib', 'libtensorflow_framework.so'));
}

function buildAddon(packageDir, cache) {
  const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const napi = napiBuildVersion(manifest.binary.napi_versions, Number(process.versions.napi));
  const modulePath = path.join(packageDir, 'lib', `napi-v${napi}`);
  const addon = path.join(modulePath, `${manifest.binary.module_name}.node`);
  const cached = path.join(
    cache,
    'addon',
    `tfjs-node-${manifest.version}-tf-${TENSORFLOW_WHEEL.version}-napi-v${napi}`,
    `${manifest.binary.module_name}.node`,
  );
  mkdirSync(modulePath, { recursive: true });
  if (existsSync(cached)) {
    copyFileSync(cached, addon);
    return;
  }
  const nodeDir = path.resolve(path.dirname(process.execPath), '..');
  const nodeDirArgs = existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))
    ? [`--nodedir=${nodeDir}`]
    : [];
  say(
    `building the addon with node-gyp (N-API ${napi}${nodeDirArgs.length ? `, headers in ${nodeDir}` : ''})`,
  );
  const gyp = run(
    process.execPath,
    [
      nodeGypScript(),
      'rebuild',
      ...nodeDirArgs,
      '--',
      `-Dnapi_build_version=${napi}`,
      `-Dmodule_name=${manifest.binary.module_name}`,
      `-Dmodule_path=${modulePath}`,
    ],
    { cwd: packageDir },
  );
  if (!gyp.ok || !existsSync(addon)) {
    throw new SetupError(
      `node-gyp could not build the addon:\n${gyp.output.trim().split('\n').slice(-25).join('\n')}\n` +
        (nodeDirArgs.length
          ? ''
          : `(no Node.js headers in ${nodeDir}/include/node: node-gyp tried to download them; install them, e.g. Debian's libnode-dev)`),
    );
  }
  mkdirSync(path.dirname(cached), { recursive: true });
  copyFileSync(addon, `${cached}.tmp`);
  renameSync(`${cached}.tmp`, cached);
}

async function main() {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      python: { type: 'string' },
      cache: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const before = probeNativeBackend();
  if (values.check || (before.ok && !values.force)) {
    say(
      before.ok
        ? `@tensorflow/tfjs-node loads (backend ${before.backend}, TensorFlow ${before.tensorflow})`
        : `@tensorflow/tfjs-node does not load: ${before.reason}`,
    );
    return before.ok ? 0 : 1;
  }
  checkPlatform();
  const python = values.python ?? process.env.PYTHON ?? 'python3';
  const cache = path.resolve(values.cache ?? path.join(root, '.cache', 'tensorflow'));
  checkTools(python);
  const wheel = await fetchWheel(python, cache);
  const libtensorflow = extractLibtensorflow(python, wheel, cache);
  installTfjsNode();
  const packageDir = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
  linkDeps(packageDir, libtensorflow);
  if (values.force) rmSync(path.join(cache, 'addon'), { recursive: true, force: true });
  buildAddon(packageDir, cache);
  const after = probeNativeBackend();
  if (!after.ok)
    throw new SetupError(`the addon was built but @tensorflow/tfjs-node does not load: ${after.reason}`);
  say(`done: backend ${after.backend}, TensorFlow ${after.tensorflow} (libtensorflow in ${libtensorflow})`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(
        `setup:tensorflow: ${error instanceof SetupError ? error.message : (error?.stack ?? error)}\n`,
      );
      process.exit(1);
    },
  );
}
