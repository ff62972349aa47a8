/**
 * Namespace patterns, as every room reads them (`--ns`, `--ns-from/--ns-to`,
 * the collector's include/exclude): `db.coll` where `*` matches any run of
 * characters, dots included (collection names may contain dots).
 *
 * Matched without regular expressions: a pattern is cut at its stars into
 * literal pieces; the first must start the name, the last must end it, and
 * each piece between is found leftmost after the one before. For `*`-only
 * globs that greedy leftmost placement finds a match whenever one exists, and
 * it never backtracks: matching costs one scan of the name per piece (a
 * backtracking regex took exponential time: 40 stars and a tail that does not
 * match ran past a minute).
 *
 * Each `*` captures the shortest run it can, left to right, so in `*.*` the
 * first `.` after the first star is the database separator (database names
 * hold no dot): `a.b.c` captures `a` and `b.c`.
 */

export interface NamespacePattern {
  readonly text: string;
  /** The literal pieces between stars: stars + 1 of them. */
  readonly pieces: readonly string[];
}

export function compileNamespacePattern(text: string): NamespacePattern {
  return { text, pieces: text.split('*') };
}

export function patternStars(pattern: string): number {
  let n = 0;
  for (let i = 0; i < pattern.length; i++) if (pattern.charCodeAt(i) === 42) n++;
  return n;
}

/**
 * What each star captured, in order, or null when the name does not match.
 * Linear in the name's length per piece (no backtracking).
 */
export function matchNamespacePattern(pattern: NamespacePattern | string, name: string): string[] | null {
  const { pieces } = typeof pattern === 'string' ? compileNamespacePattern(pattern) : pattern;
  const first = pieces[0] as string;
  if (pieces.length === 1) return name === first ? [] : null;
  const last = pieces[pieces.length - 1] as string;
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return null;
  const end = name.length - last.length;
  const captures: string[] = [];
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] as string;
    const found = name.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return null;
    captures.push(name.slice(at, found));
    at = found + piece.length;
  }
  captures.push(name.slice(at, end));
  return captures;
}

export function namespaceMatches(pattern: NamespacePattern | string, name: string): boolean {
  return matchNamespacePattern(pattern, name) !== null;
}
