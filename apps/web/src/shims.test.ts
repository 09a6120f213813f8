import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module without types
import * as util from './shims/util.js';
// @ts-expect-error: a JavaScript module without types
import * as zlib from './shims/zlib.js';

const call = <T>(fn: (...args: unknown[]) => void, ...args: unknown[]) =>
  new Promise<T>((resolve, reject) =>
    fn(...args, (error: Error | null, value: T) => (error ? reject(error) : resolve(value))),
  );

describe("the browser bundle's node:zlib and node:util", () => {
  const bytes = new Uint8Array(10_000).map((_, i) => (i * 7919) % 251);

  it("inflates Node's deflate output, and Node inflates its deflate output, to the same bytes", async () => {
    const inflated = await call<Uint8Array>(zlib.inflate, deflateSync(bytes), {
      maxOutputLength: bytes.length,
    });
    expect(Buffer.from(inflated).equals(Buffer.from(bytes))).toBe(true);
    const deflated = await call<Uint8Array>(zlib.deflate, bytes, { level: 6 });
    expect(Buffer.from(inflateSync(deflated)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('refuses a stream longer than maxOutputLength with the code Node gives, and a corrupt one', async () => {
    await expect(call(zlib.inflate, deflateSync(bytes), { maxOutputLength: 100 })).rejects.toMatchObject({
      code: 'ERR_BUFFER_TOO_LARGE',
    });
    const corrupt = deflateSync(bytes);
    corrupt[20] ^= 0xff;
    await expect(call(zlib.inflate, corrupt, {})).rejects.toThrow();
  });

  it('promisify resolves and rejects as Node does', async () => {
    const ok = util.promisify((a: number, done: (e: Error | null, v?: number) => void) => done(null, a * 2));
    await expect(ok(21)).resolves.toBe(42);
    const failing = util.promisify((done: (e: Error | null) => void) => done(new Error('no')));
    await expect(failing()).rejects.toThrow('no');
  });
});
