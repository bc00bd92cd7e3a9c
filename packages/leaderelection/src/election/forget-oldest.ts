/** How many recent resourceVersions an observer remembers (first sightings, versions dropped). */
export const rememberedVersions = 16;

/** Forgets the oldest entries of `recent` (a Map or Set, in insertion order) beyond {@link rememberedVersions}. */
export function forgetOldest(recent: {
  readonly size: number;
  keys(): Iterator<string>;
  delete(key: string): boolean;
}): void {
  while (recent.size > rememberedVersions) {
    const oldest = recent.keys().next();
    if (oldest.done === true) return;
    recent.delete(oldest.value);
  }
}
