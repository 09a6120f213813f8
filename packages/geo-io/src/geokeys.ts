import proj4 from 'proj4';
import { utmProj4 } from './epsg-definitions.js';
import { isGeographicCrs, resolveCrs } from './resolve-crs.js';
import type { Crs } from './types.js';

/** GeoTIFF keys by name, as geotiff.js `getGeoKeys()` returns them. */
export type GeoKeys = Readonly<Record<string, unknown>>;

/** The GeoKey ids this package writes (GeoTIFF 1.1, OGC 19-008r4). */
export const GEO_KEY_IDS = {
  GTModelTypeGeoKey: 1024,
  GTRasterTypeGeoKey: 1025,
  GTCitationGeoKey: 1026,
  GeographicTypeGeoKey: 2048,
  GeogAngularUnitsGeoKey: 2054,
  GeogSemiMajorAxisGeoKey: 2057,
  GeogInvFlatteningGeoKey: 2059,
  GeogTOWGS84GeoKey: 2062,
  ProjectedCSTypeGeoKey: 3072,
  ProjectionGeoKey: 3074,
  ProjCoordTransGeoKey: 3075,
  ProjLinearUnitsGeoKey: 3076,
  ProjLinearUnitSizeGeoKey: 3077,
  ProjStdParallel1GeoKey: 3078,
  ProjStdParallel2GeoKey: 3079,
  ProjNatOriginLongGeoKey: 3080,
  ProjNatOriginLatGeoKey: 3081,
  ProjFalseEastingGeoKey: 3082,
  ProjFalseNorthingGeoKey: 3083,
  ProjScaleAtNatOriginGeoKey: 3092,
} as const;

const USER_DEFINED = 32767;
const ELLIPSOIDS: Record<number, string> = {
  7030: '+ellps=WGS84',
  7019: '+ellps=GRS80',
  7008: '+ellps=clrk66',
  7004: '+ellps=bessel',
  7022: '+ellps=intl',
};
const DATUMS: Record<number, string> = { 6326: '+datum=WGS84', 6269: '+datum=NAD83', 6267: '+datum=NAD27' };
const LINEAR_UNITS: Record<number, string> = { 9001: '+units=m', 9002: '+units=ft', 9003: '+units=us-ft' };
const UNIT_SIZES: Record<number, number> = { 9001: 1, 9002: 0.3048, 9003: 1200 / 3937 };

function numberKey(keys: GeoKeys, name: string): number | undefined {
  const value = keys[name];
  if (typeof value === 'number') return value;
  if (ArrayLike(value) && value.length > 0) return Number(value[0]);
  return undefined;
}

function ArrayLike(value: unknown): value is ArrayLike<number> {
  return typeof value === 'object' && value !== null && 'length' in value;
}

/** The proj4 datum/ellipsoid part of user-defined geographic keys. */
function datumFromKeys(keys: GeoKeys): string {
  const geographic = numberKey(keys, 'GeographicTypeGeoKey');
  if (geographic !== undefined && geographic !== USER_DEFINED) {
    const crs = resolveCrs(geographic);
    return crs.proj4.replace(/\+proj=longlat\s*/, '').replace(/\s*\+no_defs/, '');
  }
  const datum = DATUMS[numberKey(keys, 'GeogGeodeticDatumGeoKey') ?? 0];
  if (datum) return datum;
  let ellipsoid = ELLIPSOIDS[numberKey(keys, 'GeogEllipsoidGeoKey') ?? 0];
  if (!ellipsoid) {
    const a = numberKey(keys, 'GeogSemiMajorAxisGeoKey') ?? 6378137;
    const inverseFlattening = numberKey(keys, 'GeogInvFlatteningGeoKey');
    const b = numberKey(keys, 'GeogSemiMinorAxisGeoKey');
    if (inverseFlattening !== undefined && inverseFlattening > 0)
      ellipsoid = `+a=${a} +rf=${inverseFlattening}`;
    else if (b !== undefined) ellipsoid = `+a=${a} +b=${b}`;
    else ellipsoid = '+ellps=WGS84';
  }
  const towgs84 = keys['GeogTOWGS84GeoKey'];
  const shift = ArrayLike(towgs84) ? ` +towgs84=${Array.from(towgs84).join(',')}` : '';
  return ellipsoid + shift;
}

function unitsFromKeys(keys: GeoKeys): { definition: string; toMeter: number } {
  const code = numberKey(keys, 'ProjLinearUnitsGeoKey') ?? 9001;
  if (LINEAR_UNITS[code]) return { definition: LINEAR_UNITS[code], toMeter: UNIT_SIZES[code] };
  const size = numberKey(keys, 'ProjLinearUnitSizeGeoKey');
  return size ? { definition: `+to_meter=${size}`, toMeter: size } : { definition: '+units=m', toMeter: 1 };
}

/** proj4 parameters of a user-defined coordinate transformation (ProjCoordTransGeoKey). */
function projectionFromKeys(keys: GeoKeys): string | null {
  const value = (name: string, fallback = 0) => numberKey(keys, name) ?? fallback;
  // GeoTIFF false eastings/northings are in the projection's linear unit; proj4's +x_0/+y_0 in metres.
  const toMeter = unitsFromKeys(keys).toMeter;
  const metres = (name: string, fallbackName: string) => value(name, value(fallbackName)) * toMeter;
  const falseOrigin = `+x_0=${metres('ProjFalseEastingGeoKey', 'ProjFalseOriginEastingGeoKey')} +y_0=${metres('ProjFalseNorthingGeoKey', 'ProjFalseOriginNorthingGeoKey')}`;
  const natural = `+lat_0=${value('ProjNatOriginLatGeoKey', value('ProjCenterLatGeoKey'))} +lon_0=${value('ProjNatOriginLongGeoKey', value('ProjCenterLongGeoKey'))}`;
  const scale = `+k_0=${value('ProjScaleAtNatOriginGeoKey', 1)}`;
  const parallels = `+lat_1=${value('ProjStdParallel1GeoKey')} +lat_2=${value('ProjStdParallel2GeoKey')}`;
  switch (numberKey(keys, 'ProjCoordTransGeoKey')) {
    case 1:
      return `+proj=tmerc ${natural} ${scale} ${falseOrigin}`;
    case 7:
      return `+proj=merc +lon_0=${value('ProjNatOriginLongGeoKey')} ${keys['ProjStdParallel1GeoKey'] !== undefined ? `+lat_ts=${value('ProjStdParallel1GeoKey')}` : scale} ${falseOrigin}`;
    case 8:
      return `+proj=lcc +lat_0=${value('ProjFalseOriginLatGeoKey', value('ProjNatOriginLatGeoKey'))} +lon_0=${value('ProjFalseOriginLongGeoKey', value('ProjNatOriginLongGeoKey'))} ${parallels} +x_0=${metres('ProjFalseOriginEastingGeoKey', 'ProjFalseEastingGeoKey')} +y_0=${metres('ProjFalseOriginNorthingGeoKey', 'ProjFalseNorthingGeoKey')}`;
    case 9: {
      const latitude = value('ProjNatOriginLatGeoKey');
      return `+proj=lcc +lat_1=${latitude} ${natural} ${scale} ${falseOrigin}`;
    }
    case 10:
      return `+proj=laea ${natural} ${falseOrigin}`;
    case 11:
      return `+proj=aea ${parallels} +lat_0=${value('ProjNatOriginLatGeoKey', value('ProjFalseOriginLatGeoKey'))} +lon_0=${value('ProjNatOriginLongGeoKey', value('ProjFalseOriginLongGeoKey'))} ${falseOrigin}`;
    case 15: {
      const latitude = value('ProjNatOriginLatGeoKey', 90);
      return `+proj=stere +lat_0=${latitude < 0 ? -90 : 90} +lat_ts=${latitude} +lon_0=${value('ProjStraightVertPoleLongGeoKey', value('ProjNatOriginLongGeoKey'))} ${scale} ${falseOrigin}`;
    }
    default:
      return null;
  }
}

/**
 * Builds a {@link Crs} from GeoTIFF keys: EPSG codes where given, otherwise the user-defined
 * projection parameters (UTM projection codes, transverse Mercator, Mercator, Lambert conformal
 * conic 1SP/2SP, Lambert azimuthal equal-area, Albers, polar stereographic).
 *
 * @param keys - GeoKeys by name, as geotiff.js `getGeoKeys()` returns them.
 * @returns The CRS, or `null` when the keys carry no CRS at all.
 * @throws TypeError if a code is not built in or the projection method is not supported.
 * @example
 * ```ts
 * crsFromGeoKeys({ GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4326 })?.epsg; // 4326
 * ```
 */
export function crsFromGeoKeys(keys: GeoKeys): Crs | null {
  const model = numberKey(keys, 'GTModelTypeGeoKey');
  const citation = typeof keys['GTCitationGeoKey'] === 'string' ? (keys['GTCitationGeoKey'] as string) : null;
  const projected = numberKey(keys, 'ProjectedCSTypeGeoKey');
  if (projected !== undefined && projected !== USER_DEFINED) return resolveCrs(projected);
  const geographic = numberKey(keys, 'GeographicTypeGeoKey');
  if (model === 2) {
    if (geographic !== undefined && geographic !== USER_DEFINED) return resolveCrs(geographic);
    return { proj4: `+proj=longlat ${datumFromKeys(keys)} +no_defs`, epsg: null, wkt: null, name: citation };
  }
  if (model !== 1) return null;
  const projection = numberKey(keys, 'ProjectionGeoKey');
  let definition: string | null = null;
  if (projection !== undefined && projection >= 16001 && projection <= 16160) {
    const zone = projection % 100;
    definition = utmProj4(zone, projection > 16100, '').replace(/ \+units=m \+no_defs$/, '');
  } else {
    definition = projectionFromKeys(keys);
  }
  if (definition === null) {
    throw new TypeError(
      `crsFromGeoKeys: the user-defined projection (ProjCoordTransGeoKey ${numberKey(keys, 'ProjCoordTransGeoKey')}) is not supported; pass the CRS explicitly`,
    );
  }
  return {
    proj4: `${definition} ${datumFromKeys(keys)} ${unitsFromKeys(keys).definition} +no_defs`.replace(
      /\s+/g,
      ' ',
    ),
    epsg: null,
    wkt: null,
    name: citation,
  };
}

/** One GeoKey to write: SHORT values inline, numbers arrays as doubles, text as ASCII. */
export interface GeoKeyEntry {
  /** GeoKey id. */
  readonly id: number;
  /** `number` (SHORT), `number[]` (DOUBLE) or `string` (ASCII). */
  readonly value: number | readonly number[] | string;
}

const DEGREES = 180 / Math.PI;

/** GeoKeys for a CRS without EPSG code, from proj4's parsed definition. */
function userDefinedKeys(crs: Crs): GeoKeyEntry[] {
  const p = new proj4.Proj(crs.proj4) as unknown as Record<string, number | string | undefined | number[]>;
  const num = (name: string, fallback = 0) => (typeof p[name] === 'number' ? (p[name] as number) : fallback);
  const a = num('a', 6378137);
  const inverseFlattening = num('rf', 0) || (num('b', a) === a ? 0 : a / (a - num('b', a)));
  const ellipsoid: GeoKeyEntry[] = [
    { id: GEO_KEY_IDS.GeographicTypeGeoKey, value: USER_DEFINED },
    { id: GEO_KEY_IDS.GeogAngularUnitsGeoKey, value: 9102 },
    { id: GEO_KEY_IDS.GeogSemiMajorAxisGeoKey, value: [a] },
    { id: GEO_KEY_IDS.GeogInvFlatteningGeoKey, value: [inverseFlattening] },
  ];
  if (p['projName'] === 'longlat') {
    return [{ id: GEO_KEY_IDS.GTModelTypeGeoKey, value: 2 }, ...ellipsoid];
  }
  const transforms: Record<string, number> = {
    utm: 1,
    tmerc: 1,
    etmerc: 1,
    lcc: 8,
    merc: 7,
    aea: 11,
    laea: 10,
  };
  const method = transforms[String(p['projName'])];
  if (method === undefined) {
    throw new TypeError(
      `writeRaster: the CRS "${crs.proj4.slice(0, 80)}" (${String(p['projName'])}) cannot be written as GeoTIFF keys; give it an EPSG code`,
    );
  }
  const toMeter = num('to_meter', 1);
  const params: GeoKeyEntry[] = [
    { id: GEO_KEY_IDS.ProjNatOriginLatGeoKey, value: [num('lat0') * DEGREES] },
    { id: GEO_KEY_IDS.ProjNatOriginLongGeoKey, value: [num('long0') * DEGREES] },
    { id: GEO_KEY_IDS.ProjFalseEastingGeoKey, value: [num('x0') / toMeter] },
    { id: GEO_KEY_IDS.ProjFalseNorthingGeoKey, value: [num('y0') / toMeter] },
    { id: GEO_KEY_IDS.ProjScaleAtNatOriginGeoKey, value: [num('k0', 1)] },
  ];
  if (method === 8 || method === 11) {
    params.push({ id: GEO_KEY_IDS.ProjStdParallel1GeoKey, value: [num('lat1') * DEGREES] });
    params.push({ id: GEO_KEY_IDS.ProjStdParallel2GeoKey, value: [num('lat2', num('lat1')) * DEGREES] });
  }
  const units =
    toMeter === 1
      ? 9001
      : Math.abs(toMeter - 0.3048) < 1e-12
        ? 9002
        : toMeter === 1200 / 3937
          ? 9003
          : USER_DEFINED;
  return [
    { id: GEO_KEY_IDS.GTModelTypeGeoKey, value: 1 },
    ...ellipsoid,
    { id: GEO_KEY_IDS.ProjectedCSTypeGeoKey, value: USER_DEFINED },
    { id: GEO_KEY_IDS.ProjectionGeoKey, value: USER_DEFINED },
    { id: GEO_KEY_IDS.ProjCoordTransGeoKey, value: method === 8 ? 8 : method },
    { id: GEO_KEY_IDS.ProjLinearUnitsGeoKey, value: units },
    ...(units === USER_DEFINED ? [{ id: GEO_KEY_IDS.ProjLinearUnitSizeGeoKey, value: [toMeter] }] : []),
    ...params,
  ];
}

/**
 * The GeoKeys that describe a CRS in a GeoTIFF: the EPSG code when there is one, otherwise
 * user-defined parameters (transverse Mercator/UTM, Lambert conformal conic, Mercator, Albers,
 * Lambert azimuthal equal-area, longitude/latitude).
 *
 * @param crs - The CRS to encode.
 * @returns GeoKey entries, sorted by id, including `GTRasterTypeGeoKey = 1` (pixel-is-area).
 * @throws TypeError if the CRS has no EPSG code and its projection method cannot be encoded.
 * @example
 * ```ts
 * geoKeysFromCrs(resolveCrs(32612)).find((key) => key.id === 3072)?.value; // 32612
 * ```
 */
export function geoKeysFromCrs(crs: Crs): GeoKeyEntry[] {
  let keys: GeoKeyEntry[];
  if (crs.epsg !== null) {
    const geographic = isGeographicCrs(crs);
    keys = [
      { id: GEO_KEY_IDS.GTModelTypeGeoKey, value: geographic ? 2 : 1 },
      {
        id: geographic ? GEO_KEY_IDS.GeographicTypeGeoKey : GEO_KEY_IDS.ProjectedCSTypeGeoKey,
        value: crs.epsg,
      },
    ];
  } else {
    keys = userDefinedKeys(crs);
  }
  keys.push({ id: GEO_KEY_IDS.GTRasterTypeGeoKey, value: 1 });
  if (crs.name) keys.push({ id: GEO_KEY_IDS.GTCitationGeoKey, value: crs.name });
  return keys.sort((first, second) => first.id - second.id);
}
