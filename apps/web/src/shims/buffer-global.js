// The global Buffer of Node, for the browser bundle (esbuild injects it where code uses Buffer).
export { Buffer } from 'buffer';
