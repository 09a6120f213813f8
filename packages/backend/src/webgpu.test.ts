import { describe, expect, it } from 'vitest';
import { describeAdapter } from './webgpu.js';

describe('describeAdapter', () => {
  it('recognises CPU implementations as software adapters', () => {
    expect(
      describeAdapter({ info: { vendor: 'mesa', device: 'llvmpipe (LLVM 19.1.7, 256 bits)' } }).software,
    ).toBe(true);
    expect(describeAdapter({ info: { vendor: 'google', device: 'SwiftShader Device' } }).software).toBe(true);
    expect(describeAdapter({ isFallbackAdapter: true, info: { vendor: 'x' } }).software).toBe(true);
  });

  it('treats a named GPU as hardware and keeps its strings', () => {
    const described = describeAdapter({
      info: { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3' },
    });
    expect(described).toEqual({
      vendor: 'nvidia',
      architecture: 'hopper',
      device: 'NVIDIA H100 80GB HBM3',
      description: '',
      software: false,
    });
  });
});
