import proj4 from 'proj4';
import { lookupEpsgDefinition } from './epsg-definitions.js';
import type { Crs } from './types.js';

/** What {@link resolveCrs} accepts. */
export type CrsInput = number | string | Crs;

const registeredDefinitions = new Map<number, { name: string | null; proj4: string }>();

/**
 * Adds (or replaces) the definition of an EPSG code that is not built in.
 *
 * @param code - The EPSG code, a positive integer.
 * @param definition - Its proj4 string (from `projinfo EPSG:<code> -o PROJ` or epsg.io).
 * @param name - Optional human-readable name.
 * @throws RangeError if `code` is not a positive integer; TypeError if proj4 rejects the definition.
 * @remarks This mutates a process-wide table used by {@link resolveCrs} and the readers.
 * @example
 * ```ts
 * registerEpsgDefinition(27700, '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy +units=m +no_defs');
 * ```
 */
export function registerEpsgDefinition(code: number, definition: string, name: string | null = null): void {
  if (!Number.isInteger(code) || code <= 0) {
    throw new RangeError(`registerEpsgDefinition: code ${code} is invalid; expected a positive integer`);
  }
  checkProj4Definition('registerEpsgDefinition', definition);
  registeredDefinitions.set(code, { name, proj4: definition });
}

function checkProj4Definition(caller: string, definition: string): void {
  try {
    new proj4.Proj(definition);
  } catch (error) {
    const reason = error instanceof Error && error.message ? `: ${error.message}` : '';
    throw new TypeError(
      `${caller}: proj4 cannot parse the CRS definition "${definition.slice(0, 80)}"${reason}; expected a proj4 string, WKT or "EPSG:<code>"`,
    );
  }
}

/**
 * Looks up an EPSG code in the registered and built-in tables.
 *
 * @param code - The EPSG code.
 * @param wkt - WKT to keep on the result, when the code came from WKT.
 * @returns The CRS, or `null` when the code is unknown.
 */
function crsFromCode(code: number, wkt: string | null = null): Crs | null {
  const registered = registeredDefinitions.get(code);
  if (registered) return { proj4: registered.proj4, epsg: code, wkt, name: registered.name };
  const builtIn = lookupEpsgDefinition(code);
  return builtIn ? { proj4: builtIn.proj4, epsg: code, wkt, name: builtIn.name } : null;
}

function unknownCodeError(caller: string, code: number): TypeError {
  return new TypeError(
    `${caller}: EPSG:${code} is not built in; pass its proj4 string or WKT instead, or call ` +
      `registerEpsgDefinition(${code}, '<proj4 string>') first (e.g. from \`projinfo EPSG:${code} -o PROJ\`)`,
  );
}

/** Splits the top level of a WKT object: its keyword, name and direct children (as text). */
function parseWktTop(wkt: string): { keyword: string; name: string | null; children: string[] } {
  const open = wkt.search(/[[(]/);
  const keyword = wkt.slice(0, open).trim().toUpperCase();
  const children: string[] = [];
  let depth = 0;
  let start = open + 1;
  let inString = false;
  for (let i = open + 1; i < wkt.length; i++) {
    const character = wkt[i];
    if (character === '"') inString = !inString;
    if (inString) continue;
    if (character === '[' || character === '(') depth++;
    else if (character === ']' || character === ')') {
      if (depth === 0) {
        children.push(wkt.slice(start, i).trim());
        break;
      }
      depth--;
    } else if (character === ',' && depth === 0) {
      children.push(wkt.slice(start, i).trim());
      start = i + 1;
    }
  }
  const first = children[0] ?? '';
  const name = first.startsWith('"') ? first.slice(1, -1) : null;
  return { keyword, name, children };
}

const HORIZONTAL_KEYWORDS =
  /^(PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS|PROJECTEDCRS|GEOGRAPHICCRS|BASEGEOGCRS)$/;

/**
 * Finds the EPSG code of the horizontal part of a WKT (WKT1 `AUTHORITY` or WKT2 `ID`).
 *
 * @param wkt - The WKT text.
 * @returns The code, the name and the WKT of the horizontal CRS (the first component of a compound CRS).
 */
export function describeWkt(wkt: string): {
  epsg: number | null;
  name: string | null;
  horizontalWkt: string;
} {
  const top = parseWktTop(wkt);
  if (/^(COMPD_CS|COMPOUNDCRS)$/.test(top.keyword)) {
    const horizontal = top.children.find((child) => HORIZONTAL_KEYWORDS.test(child.split(/[[(]/)[0].trim()));
    if (horizontal) return describeWkt(horizontal);
  }
  let epsg: number | null = null;
  for (const child of top.children) {
    const match = /^(AUTHORITY|ID)\s*[[(]\s*"EPSG"\s*,\s*"?(\d+)"?/i.exec(child);
    if (match) epsg = Number(match[2]);
  }
  return { epsg, name: top.name, horizontalWkt: wkt };
}

function crsFromWkt(caller: string, wkt: string): Crs {
  const described = describeWkt(wkt);
  if (described.epsg !== null) {
    const known = crsFromCode(described.epsg, wkt);
    if (known) return { ...known, name: described.name ?? known.name };
  }
  checkProj4Definition(caller, described.horizontalWkt);
  return { proj4: described.horizontalWkt, epsg: described.epsg, wkt, name: described.name };
}

/**
 * Turns an EPSG code, a proj4 string, a WKT string or an existing {@link Crs} into a {@link Crs}.
 *
 * @param input - `4326`, `'EPSG:4326'`, `'urn:ogc:def:crs:EPSG::4326'`, `'+proj=...'`, WKT1/WKT2 text or a `Crs`.
 * @returns The resolved CRS; for WKT with an EPSG authority that is built in, the table's proj4 string is used.
 * @throws TypeError if the code is not built in nor registered (the message says how to supply a
 *   definition), or if proj4 cannot parse the text.
 * @remarks Compound CRSs (horizontal + vertical) resolve to their horizontal part.
 * @example
 * ```ts
 * resolveCrs('EPSG:32612').proj4; // '+proj=utm +zone=12 +datum=WGS84 +units=m +no_defs'
 * ```
 */
export function resolveCrs(input: CrsInput): Crs {
  const caller = 'resolveCrs';
  if (typeof input === 'object' && input !== null) {
    if (typeof input.proj4 !== 'string') throw new TypeError(`${caller}: the object has no proj4 string`);
    return input;
  }
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input <= 0) {
      throw new TypeError(`${caller}: ${input} is not an EPSG code; expected a positive integer`);
    }
    const crs = crsFromCode(input);
    if (!crs) throw unknownCodeError(caller, input);
    return crs;
  }
  if (typeof input !== 'string') {
    throw new TypeError(
      `${caller}: expected an EPSG code, a proj4 string, WKT or a Crs, got ${typeof input}`,
    );
  }
  const text = input.trim();
  const codeMatch = /^(?:EPSG:{1,2}|urn:ogc:def:crs:EPSG:[\d.]*:)(\d+)$/i.exec(text);
  if (codeMatch) return resolveCrs(Number(codeMatch[1]));
  if (text.startsWith('+')) {
    checkProj4Definition(caller, text);
    return { proj4: text, epsg: null, wkt: null, name: null };
  }
  if (/^[A-Z_]+\s*[[(]/i.test(text)) return crsFromWkt(caller, text);
  throw new TypeError(
    `${caller}: "${text.slice(0, 80)}" is not a CRS; expected "EPSG:<code>", a proj4 string starting with "+proj=" or WKT`,
  );
}

/**
 * Whether a CRS is geographic (longitude/latitude in degrees).
 *
 * @param crs - The CRS.
 * @returns `true` for `+proj=longlat` style definitions.
 * @example
 * ```ts
 * isGeographicCrs(resolveCrs(4326)); // true
 * ```
 */
export function isGeographicCrs(crs: Crs): boolean {
  const projection = new proj4.Proj(crs.proj4) as unknown as { projName?: string };
  return projection.projName === 'longlat';
}

/**
 * Whether two CRSs describe the same coordinates (same EPSG code or the same proj4 text).
 *
 * @param first - A CRS.
 * @param second - Another CRS.
 * @returns `true` when no transform is needed between them.
 * @example
 * ```ts
 * sameCrs(resolveCrs(4326), resolveCrs('EPSG:4326')); // true
 * ```
 */
export function sameCrs(first: Crs, second: Crs): boolean {
  if (first.epsg !== null && first.epsg === second.epsg) return true;
  return first.proj4.trim() === second.proj4.trim();
}
