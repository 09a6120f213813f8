// node:util for the browser bundle: promisify (the toolkit's one call) and what dependencies call at load.
export function promisify(fn) {
  return (...args) =>
    new Promise((resolve, reject) => {
      fn(...args, (error, value) => (error ? reject(error) : resolve(value)));
    });
}

export function inherits(child, parent) {
  Object.setPrototypeOf(child.prototype, parent.prototype);
  Object.setPrototypeOf(child, parent);
}

export function deprecate(fn) {
  return fn;
}

export function debuglog() {
  return () => {};
}

export const { TextDecoder, TextEncoder } = globalThis;

export default { promisify, inherits, deprecate, debuglog, TextDecoder, TextEncoder };
