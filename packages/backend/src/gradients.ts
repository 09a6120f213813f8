let loaded: Promise<void> | undefined;

/**
 * Registers the gradient of every tfjs-core op by loading the Node build of `@tensorflow/tfjs-layers`.
 *
 * @returns A promise that resolves once the registrations are done; later calls reuse it.
 * @remarks The Node build of `@tensorflow/tfjs-core` registers no gradient: without this, `tf.grad` fails with
 *   "gradient function not found" for most ops. Its per-op gradient modules cannot be imported by Node directly
 *   (they use extensionless ESM imports), while the Node build of `@tensorflow/tfjs-layers` registers them all in
 *   the shared tfjs-core registry. {@link activateBackend} calls this before activating any backend. Chained
 *   tensor methods (`x.square()`) are not registered: Siran code calls the ops (`tf.square(x)`).
 * @example
 * ```ts
 * import { registerAllGradients } from '@siran/backend';
 * await registerAllGradients();
 * ```
 */
export function registerAllGradients(): Promise<void> {
  loaded ??= import('@tensorflow/tfjs-layers').then(() => undefined);
  return loaded;
}
