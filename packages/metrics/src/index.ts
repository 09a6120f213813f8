export type { ColorRamp, Rgb } from './color-ramp.js';
export { DIVERGING_RAMP, GREY_RAMP, rampLookupTable, sampleRamp, TERRAIN_RAMP } from './color-ramp.js';
export type { ComparisonFigureOptions, ComparisonInputs, DemFigureOptions } from './dem-figures.js';
export { comparisonFigureSvg, DEFAULT_DEM_FIGURE_OPTIONS, demFigureSvg } from './dem-figures.js';
export type { DemEvaluation, EvaluateDemOptions } from './evaluate-dem.js';
export { DEFAULT_EVALUATE_DEM_OPTIONS, evaluateDem } from './evaluate-dem.js';
export type { ColorLegend, FigurePanel, PanelFigureOptions, SvgToPngOptions } from './figure.js';
export { colorBarSvg, DEFAULT_PANEL_FIGURE_OPTIONS, panelFigureSvg, svgToPng } from './figure.js';
export type { GradientLossOptions } from './gradient-loss.js';
export { DEFAULT_GRADIENT_LOSS_OPTIONS, gradientLoss } from './gradient-loss.js';
export type { GuidedFilterOptions } from './guided-filter.js';
export { DEFAULT_GUIDED_FILTER_OPTIONS, guidedFilter } from './guided-filter.js';
export type { LineProfile, LineProfileOptions, ProfilePoint } from './line-profile.js';
export { DEFAULT_LINE_PROFILE_OPTIONS, lineProfile } from './line-profile.js';
export type { SsimLossOptions } from './losses.js';
export { DEFAULT_SSIM_LOSS_OPTIONS, pixelLoss, ssimLoss, ssimPerSample } from './losses.js';
export type { ErrorStatistics, PixelMetricOptions, PsnrOptions } from './pixel-metrics.js';
export { bias, errorStatistics, mae, maxAbsError, psnr, rmse } from './pixel-metrics.js';
export { encodePng, pngDataUrl } from './png.js';
export type { ProfileChartOptions, ProfileSeries } from './profile-chart.js';
export { DEFAULT_PROFILE_CHART_OPTIONS, lineProfileChartPng, lineProfileChartSvg } from './profile-chart.js';
export type { Float64Grid, Grid, GridInput, RasterLike, ValidityOptions } from './raster-input.js';
export { cellSizeOf, isRasterLike } from './raster-input.js';
export type { GuideRenderOptions } from './render-guide.js';
export { DEFAULT_GUIDE_RENDER_OPTIONS, renderGuide } from './render-guide.js';
export type { ColoredRaster, ColorizeOptions, ErrorMapOptions, RgbaImage } from './render-raster.js';
export {
  colorizeRaster,
  DEFAULT_COLORIZE_OPTIONS,
  percentileOf,
  renderErrorMap,
  renderHillshade,
} from './render-raster.js';
export type { SpectralMetricOptions } from './spectral-metrics.js';
export { signalToReconstructionError, spectralAngleMapper } from './spectral-metrics.js';
export type { SsimMapResult, SsimOptions } from './ssim.js';
export { DEFAULT_SSIM_OPTIONS, ssim, ssimMap } from './ssim.js';
export type { CurvatureOptions, HillshadeOptions, SlopeOptions } from './terrain-derivatives.js';
export {
  aspect,
  curvature,
  DEFAULT_CURVATURE_OPTIONS,
  DEFAULT_HILLSHADE_OPTIONS,
  DEFAULT_SLOPE_OPTIONS,
  hillshade,
  slope,
} from './terrain-derivatives.js';
export type { TerrainErrorOptions, TerrainErrorStatistics } from './terrain-errors.js';
export {
  aspectMae,
  curvatureRmse,
  DEFAULT_TERRAIN_ERROR_OPTIONS,
  slopeRmse,
  terrainErrorStatistics,
} from './terrain-errors.js';
export type { TerrainOptions } from './terrain-options.js';
export { DEFAULT_TERRAIN_OPTIONS } from './terrain-options.js';
