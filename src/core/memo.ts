/**
 * A pure function of one string, remembered for the last `max` distinct arguments (the
 * oldest is forgotten first), so memory stays bounded however many texts a run checks.
 * Use only for functions whose result the caller never mutates.
 */
export function memoizeText<R>(fn: (text: string) => R, max = 4096): (text: string) => R {
  const cache = new Map<string, R>();
  return (text: string) => {
    if (cache.has(text)) return cache.get(text) as R;
    const value = fn(text);
    if (cache.size >= max) cache.delete(cache.keys().next().value as string);
    cache.set(text, value);
    return value;
  };
}
