/** Per-pixel formulas from local derivatives; shared by the maps and the streaming error metrics. */

const DEGREES = 180 / Math.PI;

/** Slope angle in degrees from dz/dx, dz/dy. */
export function slopeDegrees(p: number, q: number): number {
  return Math.atan(Math.sqrt(p * p + q * q)) * DEGREES;
}

/** Slope in percent (100 * rise / run). */
export function slopePercent(p: number, q: number): number {
  return 100 * Math.sqrt(p * p + q * q);
}

/**
 * Aspect: azimuth of the downslope direction, degrees clockwise from north in `[0, 360)`;
 * NaN on flat cells (p = q = 0), where `gdaldem` writes nodata.
 */
export function aspectDegrees(p: number, q: number): number {
  if (p === 0 && q === 0) return Number.NaN;
  const azimuth = Math.atan2(-p, -q) * DEGREES;
  return azimuth < 0 ? azimuth + 360 : azimuth;
}

/** Profile curvature (normal curvature along the gradient), 1/map unit; positive where convex. Flat: 0. */
export function profileCurvature(p: number, q: number, r: number, s: number, t: number): number {
  const gradient = p * p + q * q;
  if (gradient === 0) return Number.isNaN(r + s + t) ? Number.NaN : 0;
  const lift = 1 + gradient;
  return -(p * p * r + 2 * p * q * s + q * q * t) / (gradient * lift * Math.sqrt(lift));
}

/** Plan (contour) curvature, 1/map unit; positive where contours are convex (diverging flow). Flat: 0. */
export function planCurvature(p: number, q: number, r: number, s: number, t: number): number {
  const gradient = p * p + q * q;
  if (gradient === 0) return Number.isNaN(r + s + t) ? Number.NaN : 0;
  return -(q * q * r - 2 * p * q * s + p * p * t) / (gradient * Math.sqrt(gradient));
}

/** Light direction terms of a hillshade, precomputed once. */
export interface Illumination {
  readonly sinAltitude: number;
  readonly cosAltitudeSinAzimuth: number;
  readonly cosAltitudeCosAzimuth: number;
}

/** Precomputes the {@link Illumination} terms from a sun azimuth and altitude in degrees. */
export function illumination(azimuthDegrees: number, altitudeDegrees: number): Illumination {
  const azimuth = azimuthDegrees / DEGREES;
  const altitude = altitudeDegrees / DEGREES;
  return {
    sinAltitude: Math.sin(altitude),
    cosAltitudeSinAzimuth: Math.cos(altitude) * Math.sin(azimuth),
    cosAltitudeCosAzimuth: Math.cos(altitude) * Math.cos(azimuth),
  };
}

/**
 * Hillshade brightness on gdaldem's scale: `1 + 254 cos(angle of incidence)`, 1 for cells facing away
 * from the sun. p and q already include the z factor.
 */
export function hillshadeValue(p: number, q: number, light: Illumination): number {
  const cosine =
    (light.sinAltitude - p * light.cosAltitudeSinAzimuth - q * light.cosAltitudeCosAzimuth) /
    Math.sqrt(1 + p * p + q * q);
  if (Number.isNaN(cosine)) return Number.NaN;
  return cosine <= 0 ? 1 : 1 + 254 * cosine;
}
