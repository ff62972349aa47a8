import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchNamespacePattern, namespaceMatches } from './namespace-pattern.js';

/** The old reading of a pattern (a backtracking regex), as the reference on small inputs. */
function reference(pattern: string, name: string): boolean {
  const body = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's').test(name);
}

describe('namespace patterns', () => {
  it('match exact names, prefixes, suffixes and inner stars', () => {
    expect(namespaceMatches('shop.orders', 'shop.orders')).toBe(true);
    expect(namespaceMatches('shop.orders', 'shop.order')).toBe(false);
    expect(namespaceMatches('shop.*', 'shop.a.b')).toBe(true);
    expect(namespaceMatches('shop.*', 'shopx.a')).toBe(false);
    expect(namespaceMatches('*.orders', 'crm.orders')).toBe(true);
    expect(namespaceMatches('s*p.o*s', 'shop.orders')).toBe(true);
    expect(namespaceMatches('*', '')).toBe(true);
    expect(namespaceMatches('ab*ba', 'aba')).toBe(false); // prefix and suffix may not overlap
  });

  it('capture the shortest run per star, left to right: the first dot after a star separates the database', () => {
    expect(matchNamespacePattern('*.*', 'a.b.c')).toEqual(['a', 'b.c']);
    expect(matchNamespacePattern('shop.*', 'shop.x.y')).toEqual(['x.y']);
    expect(matchNamespacePattern('*_*.c*', 'a_b_c.cc')).toEqual(['a', 'b_c', 'c']);
    expect(matchNamespacePattern('x.**', 'x.ab')).toEqual(['', 'ab']);
    expect(matchNamespacePattern('shp.*', 'shop.orders')).toBeNull();
  });

  it('agree with the backtracking reading on every small pattern and name', () => {
    const text = (chars: string[], max: number) => fc.array(fc.constantFrom(...chars), { maxLength: max }).map((a) => a.join(''));
    fc.assert(
      fc.property(text(['a', 'b', '.', '*'], 8), text(['a', 'b', '.'], 10), (pattern, name) => {
        const captured = matchNamespacePattern(pattern, name);
        expect(captured !== null).toBe(reference(pattern, name));
        if (captured) {
          // The captures put back into the pattern give the name again.
          let i = 0;
          expect(pattern.replace(/\*/g, () => captured[i++] ?? '')).toBe(name);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('answer a pattern of 40 stars with a tail that does not match (a backtracking regex needs 2^40 steps)', () => {
    const pattern = `${'a*'.repeat(40)}.x`;
    const name = `${'a'.repeat(200)}.y`;
    expect(namespaceMatches(pattern, name)).toBe(false);
    expect(namespaceMatches(pattern, `${'a'.repeat(200)}.x`)).toBe(true);
  });
});
