import type { GpuAdapterDescription, ModuleImporter } from './types.js';

/** The subset of Dawn's `webgpu` package that {@link installNodeWebGpu} uses. */
interface DawnModule {
  create(flags: string[]): { requestAdapter(options?: object): Promise<DawnAdapter | null> };
  globals: Record<string, unknown>;
}

/** The subset of a WebGPU adapter that {@link describeAdapter} reads. */
export interface DawnAdapter {
  /** Adapter information (vendor, architecture, device, description). */
  readonly info?: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>>;
  /** True for a fallback (software) adapter. */
  readonly isFallbackAdapter?: boolean;
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software rasterizer|\bcpu\b/i;

/**
 * Makes WebGPU available to `@tensorflow/tfjs-backend-webgpu` in Node through Dawn (the `webgpu` package) and
 * describes the adapter it will run on.
 *
 * @param importModule - Loader for the `webgpu` package.
 * @param dawnFlags - Flags passed to Dawn's `create`, e.g. `['backend=vulkan']`.
 * @returns The adapter description.
 * @throws Error if the `webgpu` package is missing or no adapter is found.
 * @remarks Sets `globalThis.navigator.gpu` and Dawn's WebGPU globals (`GPUBufferUsage`, ...) when they are
 * absent, which is what the tfjs WebGPU backend looks for when it is imported.
 */
export async function installNodeWebGpu(
  importModule: ModuleImporter,
  dawnFlags: string[] = [],
): Promise<GpuAdapterDescription> {
  const globalScope = globalThis as { navigator?: { gpu?: unknown } };
  if (!globalScope.navigator?.gpu) {
    const dawn = (await importModule('webgpu')) as DawnModule;
    for (const [key, value] of Object.entries(dawn.globals)) {
      if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
    }
    const gpu = dawn.create(dawnFlags);
    if (globalScope.navigator) {
      Object.defineProperty(globalScope.navigator, 'gpu', { value: gpu, configurable: true });
    } else {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    }
  }
  const gpu = globalScope.navigator?.gpu as { requestAdapter(options?: object): Promise<DawnAdapter | null> };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error('no WebGPU adapter was found (no Vulkan, Metal or D3D12 driver exposes a device)');
  }
  return describeAdapter(adapter);
}

/**
 * Describes a WebGPU adapter and decides whether it is a software (CPU) implementation.
 *
 * @param adapter - A `GPUAdapter`.
 * @returns Vendor, architecture, device, description, and `software`.
 */
export function describeAdapter(adapter: DawnAdapter): GpuAdapterDescription {
  const info = adapter.info ?? {};
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const software =
    adapter.isFallbackAdapter === true || SOFTWARE_ADAPTER.test([vendor, device, description].join(' '));
  return { vendor, architecture, device, description, software };
}
