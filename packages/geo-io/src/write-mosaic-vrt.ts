import { rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readRasterInfo } from './read-raster.js';
import type { GeoTransform, RasterDataType, RasterInfo } from './types.js';

/** Options for {@link writeMosaicVrt}. */
export interface MosaicVrtOptions {
  /** Nodata of the mosaic, where no source has a value. Default: the first source's nodata. */
  readonly nodata?: number | null;
  /** Largest misalignment of a source with the mosaic's pixel grid that is accepted, in pixels. Default 1e-6. */
  readonly tolerance?: number;
  /** Unit of the bands (e.g. `'m'`), written as each band's UnitType. */
  readonly unit?: string;
}

/** What {@link writeMosaicVrt} wrote. */
export interface MosaicVrtResult {
  /** Size of the mosaic, pixels. */
  readonly width: number;
  readonly height: number;
  /** Its transform (pixel corners, as GDAL reports them). */
  readonly transform: GeoTransform;
  /** Each source's offset in the mosaic, pixels, in the order given. */
  readonly placements: readonly { readonly path: string; readonly x: number; readonly y: number }[];
}

const GDAL_TYPES: Readonly<Record<RasterDataType, string>> = {
  uint8: 'Byte',
  int8: 'Int8',
  uint16: 'UInt16',
  int16: 'Int16',
  uint32: 'UInt32',
  int32: 'Int32',
  float32: 'Float32',
  float64: 'Float64',
};

/**
 * Writes a GDAL virtual mosaic (VRT) of GeoTIFFs that share a CRS and a pixel grid, as `gdalbuildvrt` does for
 * such files: one file that GDAL, QGIS and every GDAL-based tool read as a single raster, without copying pixels.
 * It is how outputs too large for one file are delivered: one GeoTIFF per scene, and the mosaic over them.
 *
 * @param outPath - The `.vrt` file; written to a temporary file and renamed. Sources are referenced relative to it
 *   when they lie below its folder, else by absolute path.
 * @param sources - The GeoTIFFs, in drawing order: where they overlap, a later one covers an earlier one (except
 *   where it holds nodata).
 * @param options - Nodata, alignment tolerance and band unit; see {@link MosaicVrtOptions}.
 * @returns The mosaic's size and transform, and where each source lies in it.
 * @throws RangeError naming the source if there is none, or a source differs from the first in CRS, pixel size,
 *   band count or data type, is rotated, or is not aligned with the first's pixel grid (the offset in pixels is
 *   given); the errors of `readRasterInfo` for a file that cannot be read.
 * @example
 * ```ts
 * await writeMosaicVrt('india.vrt', ['scenes/n20e072.tif', 'scenes/n20e073.tif']);
 * // gdalinfo india.vrt; gdal_translate india.vrt india.tif
 * ```
 */
export async function writeMosaicVrt(
  outPath: string,
  sources: readonly string[],
  options: MosaicVrtOptions = {},
): Promise<MosaicVrtResult> {
  if (sources.length === 0) throw new RangeError('writeMosaicVrt: no source raster given');
  const tolerance = options.tolerance ?? 1e-6;
  const infos: RasterInfo[] = [];
  for (const source of sources) infos.push(await readRasterInfo(source));
  const first = infos[0];
  const [, dx, , , , dy] = first.transform;
  const fail = (index: number, what: string) => {
    throw new RangeError(`writeMosaicVrt: ${sources[index]} ${what}`);
  };
  infos.forEach((info, index) => {
    const [, sx, rx, , ry, sy] = info.transform;
    if (rx !== 0 || ry !== 0) fail(index, 'is rotated; a mosaic takes north-up rasters only');
    if (!sameCrs(info, first)) fail(index, `is in ${describe(info)}, the first source in ${describe(first)}`);
    if (Math.abs(sx - dx) > 1e-9 * Math.abs(dx) || Math.abs(sy - dy) > 1e-9 * Math.abs(dy)) {
      fail(index, `has pixels of ${sx} x ${sy}, the first source ${dx} x ${dy}`);
    }
    if (info.bandCount !== first.bandCount)
      fail(index, `has ${info.bandCount} band(s), the first source ${first.bandCount}`);
    if (info.dataType !== first.dataType)
      fail(index, `holds ${info.dataType}, the first source ${first.dataType}`);
  });
  const offsets = infos.map((info, index) => {
    const x = (info.transform[0] - first.transform[0]) / dx;
    const y = (info.transform[3] - first.transform[3]) / dy;
    for (const [axis, value] of [
      ['x', x],
      ['y', y],
    ] as const) {
      if (Math.abs(value - Math.round(value)) > tolerance) {
        fail(
          index,
          `is off the first source's pixel grid by ${(value - Math.round(value)).toFixed(6)} pixel in ${axis}`,
        );
      }
    }
    return { x: Math.round(x), y: Math.round(y) };
  });
  const left = Math.min(...offsets.map((o) => o.x));
  const top = Math.min(...offsets.map((o) => o.y));
  const right = Math.max(...offsets.map((o, k) => o.x + infos[k].width));
  const bottom = Math.max(...offsets.map((o, k) => o.y + infos[k].height));
  const transform: GeoTransform = [
    first.transform[0] + left * dx,
    dx,
    0,
    first.transform[3] + top * dy,
    0,
    dy,
  ];
  const width = right - left;
  const height = bottom - top;
  const nodata = options.nodata === undefined ? first.nodata : options.nodata;
  const folder = path.dirname(path.resolve(outPath));
  const type = GDAL_TYPES[first.dataType];
  const placements = sources.map((source, k) => ({
    path: source,
    x: offsets[k].x - left,
    y: offsets[k].y - top,
  }));
  const bands: string[] = [];
  for (let band = 1; band <= first.bandCount; band++) {
    const lines = [`  <VRTRasterBand dataType="${type}" band="${band}">`];
    if (nodata !== null) lines.push(`    <NoDataValue>${formatNumber(nodata)}</NoDataValue>`);
    if (options.unit !== undefined) lines.push(`    <UnitType>${escapeXml(options.unit)}</UnitType>`);
    placements.forEach((placement, k) => {
      const info = infos[k];
      const absolute = path.resolve(placement.path);
      const relative = path.relative(folder, absolute);
      const inside = !relative.startsWith('..') && !path.isAbsolute(relative);
      lines.push(
        '    <ComplexSource>',
        `      <SourceFilename relativeToVRT="${inside ? 1 : 0}">${escapeXml(inside ? relative.split(path.sep).join('/') : absolute)}</SourceFilename>`,
        `      <SourceBand>${band}</SourceBand>`,
        `      <SourceProperties RasterXSize="${info.width}" RasterYSize="${info.height}" DataType="${type}" />`,
        `      <SrcRect xOff="0" yOff="0" xSize="${info.width}" ySize="${info.height}" />`,
        `      <DstRect xOff="${placement.x}" yOff="${placement.y}" xSize="${info.width}" ySize="${info.height}" />`,
        ...(info.nodata === null ? [] : [`      <NODATA>${formatNumber(info.nodata)}</NODATA>`]),
        '    </ComplexSource>',
      );
    });
    lines.push('  </VRTRasterBand>');
    bands.push(lines.join('\n'));
  }
  const srs = first.crs.wkt ?? (first.crs.epsg !== null ? `EPSG:${first.crs.epsg}` : first.crs.proj4);
  const xml = [
    `<VRTDataset rasterXSize="${width}" rasterYSize="${height}">`,
    `  <SRS dataAxisToSRSAxisMapping="1,2">${escapeXml(srs)}</SRS>`,
    `  <GeoTransform>${transform.map(formatNumber).join(', ')}</GeoTransform>`,
    ...bands,
    '</VRTDataset>',
    '',
  ].join('\n');
  const temporary = `${outPath}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temporary, xml);
    await rename(temporary, outPath);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return { width, height, transform, placements };
}

function sameCrs(a: RasterInfo, b: RasterInfo): boolean {
  if (a.crs.epsg !== null && b.crs.epsg !== null) return a.crs.epsg === b.crs.epsg;
  return a.crs.proj4 === b.crs.proj4;
}

function describe(info: RasterInfo): string {
  return info.crs.epsg !== null ? `EPSG:${info.crs.epsg}` : `"${info.crs.name ?? info.crs.proj4}"`;
}

/** A number as GDAL writes it in a VRT: shortest round-trip decimal. */
function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toFixed(0) : String(value);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
