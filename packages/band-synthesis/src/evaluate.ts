import {
  errorStatistics,
  psnr,
  signalToReconstructionError,
  spectralAngleMapper,
  ssim,
} from '@siran/metrics';
import ndarray from 'ndarray';
import type { BandGrid } from './resample.js';
import type { BandSynthesisScene } from './scene.js';

/** Scores of one synthesised band against the reference. */
export interface BandScores {
  /** Root mean squared error, in the band's units. */
  readonly rmse: number;
  /** Mean structural similarity, percent (Gaussian window, sigma 1.5). */
  readonly ssimPercent: number;
  /** Signal-to-reconstruction error of the band, dB. */
  readonly sre: number;
  /** Peak signal-to-noise ratio with the stated `dataRange`, dB. */
  readonly psnr: number;
  /** Spectral angle of the 4-band vectors (green, red, NIR, band), degrees. */
  readonly sam: number;
}

const asGrid = (band: BandGrid) => ndarray(band.data, [band.rows, band.cols]);

/**
 * Scores a synthesised band against the scene's reference.
 *
 * @param prediction - The synthesised band, on the scene's HR grid.
 * @param scene - A scene with a reference.
 * @param options - `dataRange` for PSNR and SSIM (default 255, the range of 8-bit digital numbers) and an optional
 *   `[rows, cols]` mask (0 = excluded), e.g. the test blocks.
 * @returns RMSE, SSIM, SRE, PSNR and SAM.
 * @throws RangeError if the scene has no reference or the grids differ.
 * @remarks SAM of a single band is always 0 for positive values, so it is computed on the spectral vector of the
 *   HR bands plus the band (green, red, NIR, band): the source bands are the same in prediction and reference, and
 *   the angle measures how far the synthesised band turns the pixel's spectrum.
 * @example
 * ```ts
 * const scores = scoreBand(synthesised, originalScene(bands, swir, 2, 255));
 * ```
 */
export function scoreBand(
  prediction: BandGrid,
  scene: BandSynthesisScene,
  options: { readonly dataRange?: number; readonly mask?: ndarray.NdArray } = {},
): BandScores {
  const { reference } = scene;
  if (!reference) throw new RangeError('scoreBand: the scene has no reference band');
  const dataRange = options.dataRange ?? 255;
  const predicted = asGrid(prediction);
  const expected = asGrid(reference);
  const mask = options.mask as ndarray.NdArray<ndarray.Data<number>> | undefined;
  const [nir, red, green] = scene.bands.map(asGrid);
  return {
    rmse: errorStatistics(predicted, expected, { mask }).rmse,
    ssimPercent: 100 * ssim(predicted, expected, { dataRange, mask }),
    sre: signalToReconstructionError([predicted], [expected], { mask }),
    psnr: psnr(predicted, expected, { dataRange, mask }),
    sam: spectralAngleMapper([green, red, nir, predicted], [green, red, nir, expected], { mask }),
  };
}

/**
 * The modified normalised difference water index `(green - SWIR) / (green + SWIR)`.
 *
 * @param green - Green band.
 * @param swir - SWIR band, same grid.
 * @returns The index per pixel, in [-1, 1] (0 where both bands are 0).
 * @throws RangeError if the grids differ.
 * @example
 * ```ts
 * const water = mndwi(scene.bands[2], synthesised);
 * ```
 */
export function mndwi(green: BandGrid, swir: BandGrid): BandGrid {
  if (green.rows !== swir.rows || green.cols !== swir.cols)
    throw new RangeError(
      `mndwi: green is ${green.rows} x ${green.cols}, SWIR is ${swir.rows} x ${swir.cols}`,
    );
  const data = Float32Array.from(green.data, (g, i) => {
    const sum = g + swir.data[i];
    return sum === 0 ? 0 : (g - swir.data[i]) / sum;
  });
  return { data, rows: green.rows, cols: green.cols };
}
