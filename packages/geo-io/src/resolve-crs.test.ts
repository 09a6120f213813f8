import { readFileSync } from 'node:fs';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { listEpsgCodes } from './epsg-definitions.js';
import { crsFromGeoKeys, geoKeysFromCrs } from './geokeys.js';
import { describeWkt, isGeographicCrs, registerEpsgDefinition, resolveCrs, sameCrs } from './resolve-crs.js';

const reference = JSON.parse(
  readFileSync(new URL('../test/fixtures/crs-reference.json', import.meta.url), 'utf8'),
) as {
  points: { epsg: number; lonLat: [number, number]; xy: [number, number] }[];
  wkt1: Record<string, string>;
};

describe('resolveCrs', () => {
  it('projects like GDAL/PROJ for every sampled code (within 1 mm)', () => {
    for (const { epsg, lonLat, xy } of reference.points) {
      const crs = resolveCrs(`EPSG:${epsg}`);
      expect(crs.epsg).toBe(epsg);
      const datum = crs.proj4.split(' ').filter((token) => /^\+(datum|ellps|towgs84|a|b|rf)=/.test(token));
      const base = ['+proj=longlat', ...datum, '+no_defs'].join(' ');
      const [x, y] = proj4(base, crs.proj4).forward(lonLat);
      const tolerance = isGeographicCrs(crs) ? 1e-8 : 1e-3;
      expect(Math.abs(x - xy[0]), `EPSG:${epsg} x`).toBeLessThan(tolerance);
      expect(Math.abs(y - xy[1]), `EPSG:${epsg} y`).toBeLessThan(tolerance);
    }
  });

  it('knows all WGS 84 and NAD83 UTM zones and the listed codes', () => {
    const codes = new Set(listEpsgCodes());
    for (let zone = 1; zone <= 60; zone++) {
      expect(codes.has(32600 + zone) && codes.has(32700 + zone)).toBe(true);
    }
    for (let zone = 1; zone <= 23; zone++) expect(codes.has(26900 + zone)).toBe(true);
    for (const code of [4326, 3857, 2154, 2992, 2994, 31985, 4269]) expect(codes.has(code)).toBe(true);
    expect(resolveCrs(32760).proj4).toContain('+zone=60 +south');
  });

  it('accepts numbers, urn and proj4 strings', () => {
    expect(resolveCrs(4326).epsg).toBe(4326);
    expect(resolveCrs('urn:ogc:def:crs:EPSG::3857').epsg).toBe(3857);
    const custom = resolveCrs('+proj=utm +zone=10 +datum=WGS84 +units=m +no_defs');
    expect(custom.epsg).toBeNull();
    expect(sameCrs(custom, { ...custom })).toBe(true);
  });

  it('takes the EPSG code from WKT1 and compound WKT', () => {
    for (const [code, wkt] of Object.entries(reference.wkt1)) {
      const crs = resolveCrs(wkt);
      expect(crs.epsg).toBe(Number(code));
      expect(crs.wkt).toBe(wkt);
    }
    const compound = `COMPD_CS["RGF93 v1 / Lambert-93 + NGF-IGN69 height",${reference.wkt1['2154']},VERT_CS["NGF-IGN69 height",VERT_DATUM["x",2005],UNIT["metre",1],AUTHORITY["EPSG","5720"]],AUTHORITY["EPSG","5698"]]`;
    expect(describeWkt(compound).epsg).toBe(2154);
    expect(resolveCrs(compound).epsg).toBe(2154);
  });

  it('resolves WKT2 with an ID', () => {
    const wkt2 =
      'PROJCRS["WGS 84 / UTM zone 12N",BASEGEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.257223563]]],CONVERSION["UTM zone 12N",METHOD["Transverse Mercator"]],CS[Cartesian,2],ID["EPSG",32612]]';
    expect(resolveCrs(wkt2).epsg).toBe(32612);
  });

  it('says how to supply an unknown code, and accepts it once registered', () => {
    expect(() => resolveCrs('EPSG:27700')).toThrow(
      /resolveCrs: EPSG:27700 is not built in.*registerEpsgDefinition/,
    );
    registerEpsgDefinition(
      27700,
      '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy +units=m +no_defs',
    );
    expect(resolveCrs(27700).epsg).toBe(27700);
    expect(() => resolveCrs('not a crs')).toThrow(TypeError);
    expect(() => resolveCrs('+proj=nonsense')).toThrow(/resolveCrs: proj4 cannot parse/);
  });
});

describe('GeoKeys', () => {
  it('round-trips EPSG codes and user-defined projections', () => {
    const keysToObject = (crs: Parameters<typeof geoKeysFromCrs>[0]) => {
      const names: Record<number, string> = {
        1024: 'GTModelTypeGeoKey',
        2048: 'GeographicTypeGeoKey',
        2057: 'GeogSemiMajorAxisGeoKey',
        2059: 'GeogInvFlatteningGeoKey',
        3072: 'ProjectedCSTypeGeoKey',
        3074: 'ProjectionGeoKey',
        3075: 'ProjCoordTransGeoKey',
        3076: 'ProjLinearUnitsGeoKey',
        3078: 'ProjStdParallel1GeoKey',
        3079: 'ProjStdParallel2GeoKey',
        3080: 'ProjNatOriginLongGeoKey',
        3081: 'ProjNatOriginLatGeoKey',
        3082: 'ProjFalseEastingGeoKey',
        3083: 'ProjFalseNorthingGeoKey',
        3092: 'ProjScaleAtNatOriginGeoKey',
      };
      return Object.fromEntries(
        geoKeysFromCrs(crs).map((key) => [
          names[key.id] ?? String(key.id),
          Array.isArray(key.value) ? key.value[0] : key.value,
        ]),
      );
    };
    expect(crsFromGeoKeys(keysToObject(resolveCrs(32612)))?.epsg).toBe(32612);
    expect(crsFromGeoKeys(keysToObject(resolveCrs(4326)))?.epsg).toBe(4326);
    for (const definition of [
      '+proj=tmerc +lat_0=0 +lon_0=-33 +k=0.9996 +x_0=500000 +y_0=10000000 +ellps=GRS80 +units=m +no_defs',
      '+proj=lcc +lat_0=41.75 +lon_0=-120.5 +lat_1=43 +lat_2=45.5 +x_0=399999.9999984 +y_0=0 +ellps=GRS80 +units=ft +no_defs',
    ]) {
      const back = crsFromGeoKeys(keysToObject(resolveCrs(definition)));
      const point = [-120.1, 44.2];
      const expected = proj4('EPSG:4326', definition).forward(point);
      const actual = proj4('EPSG:4326', back!.proj4).forward(point);
      expect(Math.abs(actual[0] - expected[0]) + Math.abs(actual[1] - expected[1])).toBeLessThan(1e-6);
    }
  });

  it('rejects an unsupported user-defined method with a clear message', () => {
    expect(() =>
      crsFromGeoKeys({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32767, ProjCoordTransGeoKey: 22 }),
    ).toThrow(/crsFromGeoKeys: the user-defined projection/);
    expect(crsFromGeoKeys({})).toBeNull();
  });
});
