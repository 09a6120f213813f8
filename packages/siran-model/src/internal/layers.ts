import * as tfl from '@tensorflow/tfjs-layers';

const LEAKY_SLOPE = 0.2;

/** A 3x3 (or 1x1) convolution, `same` padding, seeded Glorot initialisation scaled by `initialScale` (a variance factor). */
export function convolution(
  name: string,
  filters: number,
  kernelSize: number,
  seed: number,
  strides = 1,
  initialScale = 1,
) {
  return tfl.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    padding: 'same',
    kernelInitializer:
      initialScale === 1
        ? tfl.initializers.glorotUniform({ seed })
        : tfl.initializers.varianceScaling({
            scale: initialScale,
            mode: 'fanAvg',
            distribution: 'uniform',
            seed,
          }),
  });
}

/** LeakyReLU with the slope used throughout SiRAN. */
export function leaky(name: string) {
  return tfl.layers.leakyReLU({ name, alpha: LEAKY_SLOPE });
}
