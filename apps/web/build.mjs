// Builds the browser app into dist/: the page and its worker bundled by esbuild, the tfjs wasm binaries, the
// model shipped with @siran/siran-model and a sample scene made from the bundled Zion data.
import { cp, mkdir, rm } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { makeSample } from './sample.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const require = createRequire(import.meta.url);
const shims = { zlib: 'src/shims/zlib.js', util: 'src/shims/util.js' };
const builtin = new RegExp(
  `^(node:)?(${builtinModules.map((name) => name.replace(/[/]/g, '\\/')).join('|')})$`,
);

/**
 * Node's built-in modules in the browser bundle: zlib and util by small browser versions; every other one by a
 * module of the same exports that throw when called (the code paths that use them, files and processes, are never
 * taken in the page).
 */
const nodeBuiltins = {
  name: 'node-builtins',
  setup(build) {
    build.onResolve({ filter: builtin }, (args) => {
      const name = args.path.replace(/^node:/, '');
      return shims[name]
        ? { path: path.join(here, shims[name]) }
        : { path: `node:${name}`, namespace: 'node-builtin' };
    });
    // CommonJS, so that `require('stream')` gets a constructor as CommonJS code expects; any property is a function
    // that throws when called.
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: [
        'const unavailable = (name) => function () {',
        `  throw new Error(\`${args.path} \${name}() is not available in the browser\`);`,
        '};',
        'module.exports = new Proxy(function Unavailable() {}, {',
        '  get: (target, name) =>',
        "    name === 'prototype' ? target.prototype : typeof name === 'string' && name !== 'then' && name !== '__esModule' ? unavailable(name) : undefined,",
        '});',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await esbuild.build({
  entryPoints: { app: 'src/app.ts', worker: 'src/worker.ts' },
  absWorkingDir: here,
  outdir: dist,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome113',
  minify: process.env.SIRAN_WEB_MINIFY !== '0',
  sourcemap: true,
  inject: ['src/shims/buffer-global.js'],
  // Native addons (the SVG renderer of the report figures) are never loaded in the page.
  loader: { '.node': 'empty' },
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [nodeBuiltins],
  logLevel: 'warning',
});
await cp(path.join(here, 'src/index.html'), path.join(dist, 'index.html'));
await cp(path.join(here, 'src/style.css'), path.join(dist, 'style.css'));
const wasmDist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
await mkdir(path.join(dist, 'wasm'));
for (const file of [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
]) {
  await cp(path.join(wasmDist, file), path.join(dist, 'wasm', file));
}
const weights = path.join(path.dirname(require.resolve('@siran/siran-model/package.json')), 'weights/demo');
await mkdir(path.join(dist, 'model'));
for (const file of [
  'model.json',
  'generator.weights.bin',
  'discriminator.weights.bin',
  'attentionHead.weights.bin',
]) {
  await cp(path.join(weights, file), path.join(dist, 'model', file));
}
await makeSample(path.join(dist, 'sample'));
console.log(`built ${path.relative(process.cwd(), dist) || dist}`);
