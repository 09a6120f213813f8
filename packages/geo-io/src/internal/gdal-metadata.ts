/** GDAL's dataset metadata in a GeoTIFF: the XML document of the GDAL_METADATA tag (42112). */

/** Escapes the five XML special characters, and every non-ASCII character as a numeric reference. */
function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[^\x20-\x7e\n\t]/gu, (character) => `&#${character.codePointAt(0)};`);
}

/**
 * An item's value as GDAL's GTiff driver stores it: escaped for XML once by the driver, then again when the
 * document is serialised (so `&` is `&amp;amp;` in the file), and GDAL unescapes it twice when reading.
 */
export function escapeGdalItemValue(value: string): string {
  // The driver's layer (CPLES_XML) leaves other characters as they are; the serialiser's makes them references.
  const inner = value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  return escapeXml(inner);
}

/** The GDAL_METADATA document of dataset-level items, as GDAL writes it. */
export function gdalMetadataXml(metadata: Readonly<Record<string, string>>): string {
  const items = Object.entries(metadata).map(
    ([key, value]) => `  <Item name="${escapeXml(key)}">${escapeGdalItemValue(value)}</Item>\n`,
  );
  return `<GDALMetadata>\n${items.join('')}</GDALMetadata>`;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Resolves the named and numeric character references of XML text. */
function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/giu, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X'))
      return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

/**
 * The dataset-level items of a GDAL_METADATA document (items with a `sample` or a `domain` attribute, which
 * describe one band or another domain, are left out).
 */
export function parseGdalMetadata(xml: string | undefined): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (typeof xml !== 'string') return metadata;
  for (const match of xml.matchAll(/<Item\s([^>]*)>([\s\S]*?)<\/Item>/gu)) {
    const attributes = match[1];
    if (/\b(sample|domain)\s*=/u.test(attributes)) continue;
    const name = /\bname\s*=\s*"([^"]*)"/u.exec(attributes);
    // Values are escaped twice, as GDAL writes them (see escapeGdalItemValue); once-escaped values read the same.
    if (name) metadata[unescapeXml(name[1])] = unescapeXml(unescapeXml(match[2]));
  }
  return metadata;
}
