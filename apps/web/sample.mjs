// The page's sample scene, made from data bundled with @siran/dataset-builder (Zion National Park, Utah; origin
// and licence in that package's data/SOURCES.md): the guide is the Landsat 8 NIR/red/green image at 90 m as it is;
// the reference is SRTM warped onto the guide's grid (cubic); the coarse DEM is SRTM averaged onto a 360 m grid
// over the same area (4x coarser than the guide), as `siran predict` would be given it.
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { encodeRaster, readRaster, readRasterInfo, targetGridAtResolution, warpRaster } from '@siran/geo-io';

const require = createRequire(import.meta.url);

/** Coarse DEM cell size of the sample (metres), 4x the guide's 90 m. */
export const SAMPLE_COARSE_CELL = 360;

export async function makeSample(directory) {
  const data = path.join(path.dirname(require.resolve('@siran/dataset-builder/package.json')), 'data/zion');
  const guidePath = path.join(data, 'landsat-nir-red-green-90m.tif');
  const srtm = await readRaster(path.join(data, 'srtm.tif'));
  const guide = await readRasterInfo(guidePath);
  const grid = { width: guide.width, height: guide.height, transform: guide.transform, crs: guide.crs };
  const reference = warpRaster(srtm, grid, { resampling: 'cubic', nodata: -9999, dataType: 'float32' });
  const coarse = warpRaster(srtm, targetGridAtResolution(grid, SAMPLE_COARSE_CELL), {
    resampling: 'average',
    nodata: -9999,
    dataType: 'float32',
  });
  await mkdir(directory, { recursive: true });
  const options = { compression: 'deflate', bands: [{ description: 'elevation', unit: 'm' }] };
  await writeFile(path.join(directory, 'reference.tif'), await encodeRaster(reference, options));
  await writeFile(path.join(directory, 'coarse.tif'), await encodeRaster(coarse, options));
  await writeFile(
    path.join(directory, 'guide.tif'),
    await encodeRaster(await readRaster(guidePath), { compression: 'deflate' }),
  );
}
