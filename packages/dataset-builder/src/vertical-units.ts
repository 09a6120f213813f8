import type { Crs } from '@siran/geo-io';

/** A vertical unit by name, or metres per unit as a number. */
export type VerticalUnit = 'metre' | 'foot' | 'us-survey-foot' | number;

/** Metres per unit of the named vertical units. */
export const METRES_PER_VERTICAL_UNIT: Readonly<Record<Exclude<VerticalUnit, number>, number>> = {
  metre: 1,
  foot: 0.3048,
  'us-survey-foot': 1200 / 3937,
};

/**
 * The factor that turns heights into metres.
 *
 * @param unit - The unit given by the user; when absent it is read from the CRS.
 * @param crs - The CRS of the layer.
 * @returns Metres per height unit.
 * @throws RangeError if `unit` is a non-positive number.
 * @remarks
 * Without an explicit unit the CRS decides: proj4 `+vunits=`, else `+units=`/`+to_meter=` (the horizontal
 * unit, which LAS and GeoTIFF files in feet use for heights too), else the WKT's `LENGTHUNIT`/`UNIT`
 * conversion factor; metres when nothing is found. Geographic CRSs (degrees) default to metres.
 * @example
 * ```ts
 * metresPerVerticalUnit(undefined, resolveCrs('+proj=lcc +units=ft')); // 0.3048
 * ```
 */
export function metresPerVerticalUnit(unit: VerticalUnit | undefined, crs: Crs): number {
  if (typeof unit === 'number') {
    if (!(unit > 0)) throw new RangeError(`metresPerVerticalUnit: ${unit} must be a positive number`);
    return unit;
  }
  if (unit !== undefined) return METRES_PER_VERTICAL_UNIT[unit];
  const proj4 = crs.proj4;
  const named = (name: string | undefined): number | null => {
    if (name === undefined) return null;
    if (name === 'm') return 1;
    if (name === 'ft') return METRES_PER_VERTICAL_UNIT.foot;
    if (name === 'us-ft') return METRES_PER_VERTICAL_UNIT['us-survey-foot'];
    return null;
  };
  const fromVunits = named(/\+vunits=(\S+)/.exec(proj4)?.[1]);
  if (fromVunits !== null) return fromVunits;
  if (/\+proj=(longlat|latlong|lonlat|latlon)/.test(proj4)) return 1;
  const fromUnits = named(/\+units=(\S+)/.exec(proj4)?.[1]);
  if (fromUnits !== null) return fromUnits;
  const toMeter = /\+to_meter=([0-9.eE+-]+)/.exec(proj4)?.[1];
  if (toMeter !== undefined) return Number(toMeter);
  const wkt = crs.wkt ?? (proj4.startsWith('PROJCS') || proj4.startsWith('PROJCRS') ? proj4 : null);
  if (wkt !== null) {
    const units = [...wkt.matchAll(/(?:LENGTHUNIT|UNIT)\["([^"]*)",\s*([0-9.eE+-]+)/g)];
    const last = units.at(-1);
    if (last !== undefined && /metre|meter|foot|feet/i.test(last[1]!)) return Number(last[2]);
  }
  return 1;
}
