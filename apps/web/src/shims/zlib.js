// node:zlib for the browser bundle: the calls the toolkit makes (inflate, deflate) on pako, and the stream classes
// that dependencies extend at load (unusable here).
import pako from 'pako';

function settle(callback, work) {
  let result;
  try {
    result = work();
  } catch (error) {
    queueMicrotask(() => callback(error instanceof Error ? error : new Error(String(error))));
    return;
  }
  queueMicrotask(() => callback(null, result));
}

export function inflate(buffer, options, callback) {
  const [settings, done] = typeof options === 'function' ? [{}, options] : [options ?? {}, callback];
  settle(done, () => {
    const output = pako.inflate(buffer);
    if (settings.maxOutputLength !== undefined && output.length > settings.maxOutputLength) {
      const error = new RangeError(`Cannot create a Buffer larger than ${settings.maxOutputLength} bytes`);
      error.code = 'ERR_BUFFER_TOO_LARGE';
      throw error;
    }
    return output;
  });
}

export function deflate(buffer, options, callback) {
  const [settings, done] = typeof options === 'function' ? [{}, options] : [options ?? {}, callback];
  settle(done, () => pako.deflate(buffer, { level: settings.level ?? 6 }));
}

export function inflateSync(buffer) {
  return pako.inflate(buffer);
}

export function deflateSync(buffer, options) {
  return pako.deflate(buffer, { level: options?.level ?? 6 });
}

export function Inflate() {
  throw new Error('node:zlib Inflate streams are not available in the browser');
}

export function Deflate() {
  throw new Error('node:zlib Deflate streams are not available in the browser');
}

export default { inflate, deflate, inflateSync, deflateSync, Inflate, Deflate };
