#!/usr/bin/env node
// The `siran` command. This file lives outside dist/ so that npm links it when the package is installed, before a
// workspace build has made dist/; it runs the built command line, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    `siran: ${fileURLToPath(entry)} is missing: build the packages first (npm run build at the repository root)\n`,
  );
  process.exit(1);
}
await import(entry.href);
