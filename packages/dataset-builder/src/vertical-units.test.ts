import { resolveCrs } from '@siran/geo-io';
import { describe, expect, it } from 'vitest';
import { metresPerVerticalUnit } from './vertical-units.js';

describe('metresPerVerticalUnit', () => {
  it('reads the unit from proj4 strings and WKT, and honours explicit units', () => {
    expect(metresPerVerticalUnit(undefined, resolveCrs('EPSG:2154'))).toBe(1);
    expect(metresPerVerticalUnit(undefined, resolveCrs('EPSG:4326'))).toBe(1);
    expect(metresPerVerticalUnit(undefined, resolveCrs('+proj=lcc +lat_1=43 +lat_2=45.5 +units=ft'))).toBe(
      0.3048,
    );
    expect(metresPerVerticalUnit(undefined, resolveCrs('+proj=tmerc +units=us-ft'))).toBeCloseTo(
      1200 / 3937,
      15,
    );
    expect(metresPerVerticalUnit(undefined, resolveCrs('+proj=utm +zone=10 +units=m +vunits=ft'))).toBe(
      0.3048,
    );
    const wkt =
      'PROJCS["x",GEOGCS["g",DATUM["d",SPHEROID["GRS_1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic_2SP"],PARAMETER["standard_parallel_1",43],PARAMETER["standard_parallel_2",45.5],PARAMETER["latitude_of_origin",41.75],PARAMETER["central_meridian",-120.5],PARAMETER["false_easting",1312335.958005249],PARAMETER["false_northing",0],UNIT["foot",0.3048]]';
    expect(metresPerVerticalUnit(undefined, resolveCrs(wkt))).toBe(0.3048);
    expect(metresPerVerticalUnit('us-survey-foot', resolveCrs('EPSG:2154'))).toBeCloseTo(0.3048006096, 9);
    expect(metresPerVerticalUnit(0.5, resolveCrs('EPSG:2154'))).toBe(0.5);
    expect(() => metresPerVerticalUnit(-1, resolveCrs('EPSG:2154'))).toThrow(/^metresPerVerticalUnit:/);
  });
});
