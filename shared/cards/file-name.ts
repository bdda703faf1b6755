/** Character names derived from upload file names (image-only imports, nameless cards). */

/**
 * `Seraphina_the-Guardian.card.png` → `Seraphina the Guardian`: base name without directories and extension, a
 * `.card` suffix removed, `_`/`-` turned into spaces, whitespace collapsed, cut to `maxLength` characters.
 * Returns null when nothing usable is left.
 */
export function nameFromFilename(filename: string | undefined, maxLength: number): string | null {
  if (!filename) return null;
  let base = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  if (dot > 0) base = base.slice(0, dot);
  base = base.replace(/\.card$/i, '');
  const name = base.replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (name === '') return null;
  return Array.from(name).slice(0, maxLength).join('');
}

/** Lower-case extension of a file name without the dot, or null. */
export function filenameExtension(filename: string | undefined): string | null {
  if (!filename) return null;
  const base = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return null;
  return base.slice(dot + 1).toLowerCase();
}
