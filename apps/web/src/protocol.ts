/** Messages between the page and the prediction worker. */

/** Files the page hands to the worker (the bytes are transferred, not copied). */
export interface RunRequest {
  readonly type: 'run';
  readonly coarse: NamedBytes;
  readonly guide: NamedBytes;
  readonly reference: NamedBytes | null;
  /** Bands of the guide (0-based) holding NIR, red and green. */
  readonly guideBands: readonly [number, number, number];
}

/** A dropped file: its name (for messages) and bytes. */
export interface NamedBytes {
  readonly name: string;
  readonly bytes: ArrayBuffer;
}

/** What the page sends. */
export type PageMessage = RunRequest | { readonly type: 'cancel' };

/** Error statistics of one method against the reference (metres). */
export interface MethodMetrics {
  readonly rmse: number;
  readonly mae: number;
  readonly bias: number;
  readonly psnr: number;
}

/** What the page shows after a prediction. */
export interface RunResult {
  readonly type: 'result';
  /** The cloud-optimised GeoTIFF, as `siran predict` writes it. */
  readonly tiff: ArrayBuffer;
  readonly width: number;
  readonly height: number;
  /** Hillshades (0-255, 0 where there is no value) of the bicubic DEM and of the prediction, row-major. */
  readonly bicubicShade: Uint8ClampedArray;
  readonly predictionShade: Uint8ClampedArray;
  readonly backend: string;
  readonly seconds: number;
  readonly tiles: number;
  /** The cross-scale self-check, `null` when the scene was too small for it. */
  readonly selfCheck: {
    readonly expectedGain: number;
    readonly modelRmse: number;
    readonly bicubicRmse: number;
    readonly blendedRmse: number;
    readonly sceneShare: number;
  } | null;
  readonly outputCheck: string;
  /** Against the reference, when one was given. */
  readonly metrics: {
    readonly bicubic: MethodMetrics;
    readonly siran: MethodMetrics;
    readonly pixels: number;
  } | null;
}

/** What the worker sends. */
export type WorkerMessage =
  | { readonly type: 'status'; readonly text: string }
  | {
      readonly type: 'progress';
      readonly stage: 'self-check' | 'predict';
      readonly done: number;
      readonly total: number;
    }
  | RunResult
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'cancelled' };
