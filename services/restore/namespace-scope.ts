/**
 * Which namespaces a restore touches and where each one lands.
 *
 * Patterns are `db.coll` with `*` wildcards (`shop.*`, `*.orders`, `shop.ord*`);
 * a `*` matches any run of characters, dots included, because collection names
 * may contain dots (contracts/namespace-pattern.ts matches them, in linear
 * time). A mapping `--ns-from shop.* --ns-to shop_copy.*` substitutes what each
 * `*` captured, in order, like mongorestore's `--nsFrom/--nsTo`.
 */
import { matchNamespacePattern, namespaceMatches, patternStars } from '../../contracts/namespace-pattern.js';
import { RestoreError } from './errors.js';

export interface NamespaceMapping {
  from: string;
  to: string;
}

export function validateNamespaceName(ns: string, what: string): void {
  const dot = ns.indexOf('.');
  if (dot <= 0 || dot === ns.length - 1) {
    throw new RestoreError('BAD_OPTIONS', `${what} ${JSON.stringify(ns)} is not a namespace: expected db.collection`);
  }
}

export function matchesPattern(ns: string, pattern: string): boolean {
  return namespaceMatches(pattern, ns);
}

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*');
}

/**
 * Selects the namespaces of `available` matched by `patterns` (all of them when
 * there are none). A pattern that matches nothing is an error naming it, so a
 * typo never turns into a silent empty restore.
 */
export function selectNamespaces(available: readonly string[], patterns: readonly string[]): string[] {
  if (patterns.length === 0) return [...available].sort();
  const selected = new Set<string>();
  for (const pattern of patterns) {
    if (!hasWildcard(pattern)) validateNamespaceName(pattern, '--ns');
    const hits = available.filter((ns) => matchesPattern(ns, pattern));
    if (hits.length === 0) {
      throw new RestoreError('UNKNOWN_NAMESPACE', `namespace ${JSON.stringify(pattern)} is not in the archive at the target (known: ${available.length ? [...available].sort().join(', ') : 'none'})`, {
        context: { pattern, known: [...available].sort() },
      });
    }
    for (const ns of hits) selected.add(ns);
  }
  return [...selected].sort();
}

/** Checks a mapping once, before anything runs: same number of wildcards on both sides. */
export function validateMappings(mappings: readonly NamespaceMapping[]): void {
  for (const m of mappings) {
    if (patternStars(m.from) !== patternStars(m.to)) {
      throw new RestoreError('BAD_OPTIONS', `--ns-from ${JSON.stringify(m.from)} and --ns-to ${JSON.stringify(m.to)} must have the same number of * wildcards`);
    }
    if (!hasWildcard(m.to)) validateNamespaceName(m.to, '--ns-to');
  }
}

/**
 * Refuses a mapping that maps none of the selected namespaces (a typo in
 * `--ns-from`, or one shadowed by an earlier mapping): left alone it would
 * restore into the source names themselves, as if no mapping was given.
 */
export function checkMappingsUsed(selected: readonly string[], mappings: readonly NamespaceMapping[]): void {
  const used = new Set<number>();
  for (const ns of selected) {
    const i = mappings.findIndex((m) => namespaceMatches(m.from, ns));
    if (i >= 0) used.add(i);
  }
  mappings.forEach((m, i) => {
    if (used.has(i)) return;
    const shadowedBy = mappings.slice(0, i).find((earlier) => selected.some((ns) => namespaceMatches(earlier.from, ns) && namespaceMatches(m.from, ns)));
    const why = shadowedBy ? `every namespace it matches is mapped by the earlier --ns-from ${JSON.stringify(shadowedBy.from)}` : `it matches none of the namespaces restored (${selected.join(', ') || 'none'})`;
    throw new RestoreError('UNKNOWN_NAMESPACE', `--ns-from ${JSON.stringify(m.from)} (to ${JSON.stringify(m.to)}) maps nothing: ${why}; nothing was written`, {
      context: { from: m.from, to: m.to, selected: [...selected] },
    });
  });
}

/** The destination of one namespace: the first mapping that matches, else itself. */
export function mapNamespace(ns: string, mappings: readonly NamespaceMapping[]): string {
  for (const m of mappings) {
    const captured = matchNamespacePattern(m.from, ns);
    if (!captured) continue;
    let i = 0;
    const mapped = m.to.replace(/\*/g, () => captured[i++] ?? '');
    validateNamespaceName(mapped, `mapped namespace of ${ns}`);
    return mapped;
  }
  return ns;
}

export function splitNamespace(ns: string): { db: string; coll: string } {
  const dot = ns.indexOf('.');
  return { db: ns.slice(0, dot), coll: ns.slice(dot + 1) };
}
