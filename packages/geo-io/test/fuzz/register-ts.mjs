// `node --import ./register-ts.mjs worker.mjs`: lets the fuzz worker import the package's `.ts` sources.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
