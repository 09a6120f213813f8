import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { activateBackend, describeActivation, parseBackendPreference } from './activate.js';
import { BackendUnavailableError } from './errors.js';
import type { ModuleImporter } from './types.js';

/** An importer for which the native TensorFlow packages are absent, as on a machine that cannot install them. */
const withoutNative: ModuleImporter = async (specifier) => {
  if (specifier.startsWith('@tensorflow/tfjs-node')) {
    throw new Error(`Cannot find package '${specifier}' imported from the test`);
  }
  return import(specifier);
};

/** An importer whose `webgpu` package exposes only the given adapter. */
function withAdapter(adapter: object | null): ModuleImporter {
  return async (specifier) => {
    if (specifier === 'webgpu')
      return { globals: {}, create: () => ({ requestAdapter: async () => adapter }) };
    return withoutNative(specifier);
  };
}

const noEnvironment = { environment: {} };

afterEach(() => {
  const scope = globalThis as { navigator?: { gpu?: unknown } };
  if (scope.navigator && 'gpu' in scope.navigator) Reflect.deleteProperty(scope.navigator, 'gpu');
});

describe('parseBackendPreference', () => {
  it('accepts names, lists and aliases, keeping order and dropping duplicates', () => {
    expect(parseBackendPreference('webgpu, WASM,cpu,wasm')).toEqual(['webgpu', 'wasm', 'cpu']);
    expect(parseBackendPreference(['tfjs-node', 'cpu'])).toEqual(['tensorflow', 'cpu']);
  });

  it('names the unknown entry and the valid ones', () => {
    expect(() => parseBackendPreference('wasm,webgl')).toThrow(
      /unknown backend "webgl".*tensorflow, webgpu, wasm, cpu/,
    );
    expect(() => parseBackendPreference(' , ')).toThrow(/is empty/);
  });
});

describe('activateBackend', () => {
  it('falls back past missing native TensorFlow and reports why it was skipped', async () => {
    const active = await activateBackend(['tensorflow', 'cpu'], {
      ...noEnvironment,
      importModule: withoutNative,
    });
    expect(active.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(active.skipped).toHaveLength(1);
    expect(active.skipped[0].name).toBe('tensorflow');
    expect(active.skipped[0].reason).toMatch(/@tensorflow\/tfjs-node-gpu.*@tensorflow\/tfjs-node/);
    expect(describeActivation(active)).toMatch(
      /^cpu \(1 thread\); skipped tensorflow: @tensorflow\/tfjs-node-gpu is not installed or fails to load \(Cannot find package/,
    );
    expect(describeActivation(active).split('\n')).toHaveLength(1);
  });

  it('throws an error naming the backend, the reason and the install command when the only choice fails', async () => {
    const attempt = activateBackend('tensorflow', { ...noEnvironment, importModule: withoutNative });
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(attempt).rejects.toThrow(
      /tensorflow: .*Cannot find package.*install @tensorflow\/tfjs-node/s,
    );
  });

  it('lets SIRAN_BACKEND override the preference', async () => {
    const active = await activateBackend('wasm', {
      environment: { SIRAN_BACKEND: 'cpu' },
      importModule: withoutNative,
    });
    expect(active.name).toBe('cpu');
    await expect(activateBackend('cpu', { environment: { SIRAN_BACKEND: 'gpu' } })).rejects.toThrow(
      /environment variable SIRAN_BACKEND names unknown backend "gpu"/,
    );
  });

  it('activates wasm with its training kernels and computes correctly on it', async () => {
    const active = await activateBackend('wasm', noEnvironment);
    expect(active.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(active.threads).toBeGreaterThanOrEqual(1);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // A 2x2 matrix product against its closed form.
    const product = tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([
        [5, 6],
        [7, 8],
      ]),
    );
    expect(Array.from(await product.data())).toEqual([19, 22, 43, 50]);
    product.dispose();
  });

  it('skips a software WebGPU adapter in the default order but accepts it when asked by name', async () => {
    const lavapipe = {
      info: { vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 19.1.7, 256 bits)', description: '' },
    };
    const automatic = await activateBackend(undefined, {
      ...noEnvironment,
      importModule: withAdapter(lavapipe),
    });
    expect(automatic.name).toBe('wasm');
    expect(automatic.skipped.map((failure) => failure.name)).toEqual(['tensorflow', 'webgpu']);
    expect(automatic.skipped[1].reason).toMatch(/software.*llvmpipe/);
  });

  it('reports a machine without any WebGPU adapter clearly', async () => {
    const attempt = activateBackend('webgpu', { ...noEnvironment, importModule: withAdapter(null) });
    await expect(attempt).rejects.toThrow(
      /webgpu: WebGPU could not start: no WebGPU adapter was found.*Vulkan driver/s,
    );
  });
});
