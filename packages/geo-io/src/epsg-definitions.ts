/** One entry of the built-in EPSG table. */
export interface EpsgDefinition {
  /** The EPSG code. */
  readonly code: number;
  /** The EPSG name of the CRS. */
  readonly name: string;
  /** The proj4 definition string. */
  readonly proj4: string;
}

/**
 * The explicitly listed codes (those without a numbering pattern), proj4 strings as PROJ 9 /
 * `gdalsrsinfo -o proj4 EPSG:<code>` prints them.
 */
const LISTED_DEFINITIONS: readonly EpsgDefinition[] = [
  { code: 4326, name: 'WGS 84', proj4: '+proj=longlat +datum=WGS84 +no_defs' },
  { code: 4269, name: 'NAD83', proj4: '+proj=longlat +datum=NAD83 +no_defs' },
  { code: 4267, name: 'NAD27', proj4: '+proj=longlat +datum=NAD27 +no_defs' },
  { code: 4258, name: 'ETRS89', proj4: '+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs' },
  { code: 4152, name: 'NAD83(HARN)', proj4: '+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs' },
  { code: 4171, name: 'RGF93 v1', proj4: '+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs' },
  { code: 4674, name: 'SIRGAS 2000', proj4: '+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs' },
  {
    code: 3857,
    name: 'WGS 84 / Pseudo-Mercator',
    proj4:
      '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs',
  },
  {
    code: 2154,
    name: 'RGF93 v1 / Lambert-93',
    proj4:
      '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  },
  {
    code: 2992,
    name: 'NAD83 / Oregon GIC Lambert (ft)',
    proj4:
      '+proj=lcc +lat_0=41.75 +lon_0=-120.5 +lat_1=43 +lat_2=45.5 +x_0=399999.9999984 +y_0=0 +datum=NAD83 +units=ft +no_defs',
  },
  {
    code: 2994,
    name: 'NAD83(HARN) / Oregon GIC Lambert (ft)',
    proj4:
      '+proj=lcc +lat_0=41.75 +lon_0=-120.5 +lat_1=43 +lat_2=45.5 +x_0=399999.9999984 +y_0=0 +ellps=GRS80 +units=ft +no_defs',
  },
];

/** A family of UTM codes: `first` is zone `firstZone`, and codes run consecutively. */
interface UtmFamily {
  readonly first: number;
  readonly firstZone: number;
  readonly lastZone: number;
  readonly south: boolean;
  readonly datumName: string;
  readonly datum: string;
}

const UTM_FAMILIES: readonly UtmFamily[] = [
  { first: 32601, firstZone: 1, lastZone: 60, south: false, datumName: 'WGS 84', datum: '+datum=WGS84' },
  { first: 32701, firstZone: 1, lastZone: 60, south: true, datumName: 'WGS 84', datum: '+datum=WGS84' },
  { first: 26901, firstZone: 1, lastZone: 23, south: false, datumName: 'NAD83', datum: '+datum=NAD83' },
  {
    first: 25828,
    firstZone: 28,
    lastZone: 38,
    south: false,
    datumName: 'ETRS89',
    datum: '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0',
  },
  {
    first: 31965,
    firstZone: 11,
    lastZone: 22,
    south: false,
    datumName: 'SIRGAS 2000',
    datum: '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0',
  },
  {
    first: 31977,
    firstZone: 17,
    lastZone: 25,
    south: true,
    datumName: 'SIRGAS 2000',
    datum: '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0',
  },
];

/**
 * The proj4 definition of a UTM zone.
 *
 * @param zone - UTM zone number, 1 to 60.
 * @param south - `true` for the southern hemisphere (false northing 10 000 km).
 * @param datum - proj4 datum or ellipsoid parameters, e.g. `+datum=WGS84`.
 * @returns A proj4 string such as `+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs`.
 * @throws RangeError if the zone is not an integer in 1..60.
 * @example
 * ```ts
 * utmProj4(25, true, '+datum=WGS84'); // '+proj=utm +zone=25 +south +datum=WGS84 +units=m +no_defs'
 * ```
 */
export function utmProj4(zone: number, south: boolean, datum: string): string {
  if (!Number.isInteger(zone) || zone < 1 || zone > 60) {
    throw new RangeError(`utmProj4: zone ${zone} is invalid; expected an integer from 1 to 60`);
  }
  return `+proj=utm +zone=${zone}${south ? ' +south' : ''} ${datum} +units=m +no_defs`;
}

function lookupUtm(code: number): EpsgDefinition | null {
  for (const family of UTM_FAMILIES) {
    const zone = family.firstZone + code - family.first;
    if (code >= family.first && zone <= family.lastZone) {
      const hemisphere = family.south ? 'S' : 'N';
      return {
        code,
        name: `${family.datumName} / UTM zone ${zone}${hemisphere}`,
        proj4: utmProj4(zone, family.south, family.datum),
      };
    }
  }
  return null;
}

/**
 * Looks a code up in the built-in EPSG table.
 *
 * @param code - An EPSG code.
 * @returns The definition, or `null` when the code is not built in.
 * @remarks
 * Built in: geographic 4326, 4269, 4267, 4258, 4152, 4171, 4674; projected 3857, 2154, 2992,
 * 2994; UTM zones on WGS 84 (32601-32660, 32701-32760), NAD83 (26901-26923), ETRS89
 * (25828-25838) and SIRGAS 2000 (31965-31976, 31977-31985).
 * @example
 * ```ts
 * lookupEpsgDefinition(32612)?.name; // 'WGS 84 / UTM zone 12N'
 * ```
 */
export function lookupEpsgDefinition(code: number): EpsgDefinition | null {
  return LISTED_DEFINITIONS.find((definition) => definition.code === code) ?? lookupUtm(code);
}

/**
 * Every code of the built-in EPSG table, ascending.
 *
 * @returns The list of codes {@link lookupEpsgDefinition} knows.
 * @example
 * ```ts
 * listEpsgCodes().includes(3857); // true
 * ```
 */
export function listEpsgCodes(): number[] {
  const codes = LISTED_DEFINITIONS.map((definition) => definition.code);
  for (const family of UTM_FAMILIES) {
    for (let zone = family.firstZone; zone <= family.lastZone; zone++) {
      codes.push(family.first + zone - family.firstZone);
    }
  }
  return codes.sort((a, b) => a - b);
}
