#!/usr/bin/env node
// Serves the built app (dist/) on localhost: `npm run web`, then open the printed address.
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.tif': 'image/tiff',
};

/**
 * Serves a directory of static files on 127.0.0.1.
 *
 * @param {string} root - The directory.
 * @param {number} port - The port (0: any free one).
 * @returns {Promise<{ url: string, close: () => Promise<void> }>} The base URL and a function that stops the server.
 */
export async function serveDirectory(root, port) {
  const server = createServer(async (request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (
      !file.startsWith(root) ||
      !(await stat(file).then(
        (info) => info.isFile(),
        () => false,
      ))
    ) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`${pathname} not found`);
      return;
    }
    const body = await readFile(file);
    response
      .writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
      })
      .end(body);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('./dist/', import.meta.url));
  if (!(await stat(path.join(root, 'index.html')).catch(() => null))) {
    console.error('serve: apps/web/dist has no index.html; build it first (npm run build)');
    process.exit(1);
  }
  const { url } = await serveDirectory(root, Number(process.env.PORT ?? 8080));
  console.log(`Siran web app: ${url} (Ctrl+C stops)`);
}
