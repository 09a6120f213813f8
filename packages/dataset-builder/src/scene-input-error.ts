/** Why a scene cannot go into a dataset. */
export type SceneProblem =
  | 'no-overlap'
  | 'guide-bands'
  | 'missing-crs'
  | 'no-ground-points'
  | 'no-valid-patches'
  | 'unreadable';

/**
 * An error in one scene's inputs; `buildDataset` either stops on it or, with `skipInvalidScenes`,
 * records it in the manifest and goes on with the other scenes.
 *
 * @example
 * ```ts
 * throw new SceneInputError('no-overlap', 'alignScene: scene "a": the guide and the reference do not overlap');
 * ```
 */
export class SceneInputError extends RangeError {
  /** Machine-readable reason, counted in the manifest. */
  readonly problem: SceneProblem;

  /**
   * Creates the error.
   *
   * @param problem - Machine-readable reason.
   * @param message - Message starting with the function name.
   * @param options - Standard error options (`cause`).
   */
  constructor(problem: SceneProblem, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SceneInputError';
    this.problem = problem;
  }
}
