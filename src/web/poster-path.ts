/**
 * A poster's address, with a version from the stored file's URI: a new poster (a picked frame,
 * an uploaded picture) gets a new address, so no browser shows the old one from its cache.
 */
export function posterPath(videoBase: string, posterUri: string): string {
  let hash = 0;
  for (const char of posterUri) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `${videoBase}/poster.jpg?v=${hash.toString(36)}`;
}
