/**
 * Applies defaults to an options object, ignoring keys whose value is `undefined`.
 *
 * @param defaults - Complete default options.
 * @param options - Partial options; `undefined` values keep the default.
 * @returns A new object with every key of `defaults`.
 */
export function withDefaults<T extends object>(defaults: T, options: Partial<T>): T {
  const merged = { ...defaults } as Record<string, unknown>;
  for (const key of Object.keys(defaults)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged as T;
}

/**
 * Throws unless `channels` is a positive integer.
 *
 * @param caller - Name used at the start of the message.
 * @param channels - The value to check.
 * @throws RangeError if it is not a positive integer.
 */
export function assertChannels(caller: string, channels: number): void {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new RangeError(`${caller}: channels must be a positive integer, got ${channels}`);
  }
}
