import { writeMosaicVrt } from '@siran/geo-io';
import { type Command, positionalList, requiredString, UsageError } from './args.js';

/** `siran mosaic`: one virtual raster (GDAL VRT) over predictions of neighbouring scenes. */
export const mosaicCommand: Command = {
  name: 'mosaic',
  summary:
    'Writes a GDAL virtual mosaic (VRT) over GeoTIFFs on one CRS and pixel grid, e.g. the predictions of the scenes\n' +
    'a large area was split into: GDAL, QGIS and every GDAL-based tool read it as one raster; no pixel is copied.\n' +
    'Where scenes overlap, a later one covers an earlier one except where it holds nodata.',
  usage: '--out MOSAIC.vrt SCENE.tif [SCENE.tif ...]',
  positional: 'SCENE',
  manyPositionals: true,
  options: {
    out: { type: 'string', valueName: 'FILE.vrt', description: 'the mosaic to write (written atomically)' },
    unit: { type: 'string', valueName: 'UNIT', description: "the bands' unit", default: 'm' },
  },
  async run(values) {
    const out = requiredString(values, 'out');
    if (!/\.vrt$/i.test(out)) throw new UsageError(`--out must name a .vrt file, got "${out}"`);
    const scenes = positionalList(values, 'SCENE');
    const result = await writeMosaicVrt(out, scenes, { unit: String(values.unit) });
    process.stderr.write(
      `${out}: ${scenes.length} scene(s), ${result.width} x ${result.height} pixels, origin ${result.transform[0]}, ${result.transform[3]}\n`,
    );
  },
};
