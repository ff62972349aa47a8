/**
 * Glob patterns of the filesystem search (`rewind scan --glob`), matched
 * against a path relative to its root with `/` separators. The subset the
 * seed scripts' patterns need, written here rather than pulled in as a
 * dependency (Node 20's path.matchesGlob prints an ExperimentalWarning):
 *
 *   `**`  any number of whole path segments, none included (`**\/a.json` matches `a.json`)
 *   `*`   any characters within one segment      `?`  one character within a segment
 *   `[abc]`, `[a-z]`, `[!abc]`  one character of (not of) a set
 *   `{a,b}`  one of the alternatives (which may hold the other forms, not nested braces)
 *
 * Matching is case-sensitive and whole-path: `*.csv` matches only at the root.
 */

function escape(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function translate(glob: string, inBraces: boolean): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const next = glob[i + 2];
        if (atStart && next === '/') {
          out += '(?:[^/]*/)*';
          i += 2;
          continue;
        }
        if (atStart && next === undefined) {
          out += '.*';
          i += 1;
          continue;
        }
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^/' : ''}${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{' && !inBraces) {
      const end = glob.indexOf('}', i);
      if (end < 0) {
        out += '\\{';
        continue;
      }
      out += `(?:${glob
        .slice(i + 1, end)
        .split(',')
        .map((alt) => translate(alt, true))
        .join('|')})`;
      i = end;
    } else {
      out += escape(c);
    }
  }
  return out;
}

/** The pattern as a RegExp over whole relative paths. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${translate(glob.replace(/^\.\//, ''), false)}$`);
}

/** A matcher for several globs: true when any matches. */
export function globMatcher(globs: readonly string[]): (relativePath: string) => boolean {
  const res = globs.map(globToRegExp);
  return (path) => res.some((re) => re.test(path));
}
