/**
 * Band descriptions and units in the GDAL_METADATA tag (42112), as GDAL's GTiff driver writes them: one item per
 * band and property, `sample` the 0-based band, `role` telling GDAL what the item is.
 *
 * GDAL escapes these values twice (`CPLEscapeString(..., CPLES_XML)`, then the XML serialiser) and unescapes
 * them twice on read, so `a & b` is stored as `a &amp;amp; b`; the same is done here, so that `gdalinfo` shows
 * the text given.
 */

import { escapeGdalItemValue } from './gdal-metadata.js';

/** The description and unit of one band. */
export interface BandDescription {
  /** Shown by `gdalinfo` as `Description = ...` (GDAL's band description). */
  readonly description?: string;
  /** Shown by `gdalinfo` as `Unit Type: ...` (GDAL's band unit type), e.g. `m`. */
  readonly unit?: string;
}

/**
 * The GDAL_METADATA items of band descriptions and units.
 *
 * @param bands - One entry per band (from band 0); absent or empty fields write nothing.
 * @returns The `<Item>` lines (GDAL's order: unit, then description, band by band), empty when there are none.
 */
export function bandMetadataItems(bands: readonly BandDescription[]): string {
  let items = '';
  bands.forEach((band, index) => {
    const entries: [string, string, string | undefined][] = [
      ['UNITTYPE', 'unittype', band.unit],
      ['DESCRIPTION', 'description', band.description],
    ];
    for (const [name, role, value] of entries) {
      if (value === undefined || value === '') continue;
      items += `  <Item name="${name}" sample="${index}" role="${role}">${escapeGdalItemValue(value)}</Item>\n`;
    }
  });
  return items;
}

/**
 * Adds band items to a GDAL_METADATA document of dataset items.
 *
 * @param datasetXml - The document of the dataset items (`<GDALMetadata>...</GDALMetadata>`).
 * @param bandItems - Lines from {@link bandMetadataItems}.
 * @returns The document with the band items after the dataset items.
 */
export function withBandItems(datasetXml: string, bandItems: string): string {
  const end = '</GDALMetadata>';
  if (bandItems === '' || !datasetXml.endsWith(end)) return datasetXml;
  return `${datasetXml.slice(0, -end.length)}${bandItems}${end}`;
}
