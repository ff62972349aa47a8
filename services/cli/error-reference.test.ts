import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../../contracts/errors.js';
import { renderErrorReference } from './error-reference.js';

const committed = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The codes docs/errors.md documents: the first cell of its code tables, read apart from the generator. */
function documentedCodes(doc: string): string[] {
  return doc.split('\n').flatMap((l) => /^\| `([A-Z][A-Z0-9_]+)` \|/.exec(l)?.[1] ?? []);
}

describe('the error reference (docs/errors.md)', () => {
  it('is what the catalog generates (run `npm run docs:errors` after changing contracts/errors.ts)', () => {
    expect(committed).toBe(renderErrorReference());
  });

  it('documents every code of the catalog once, and no code the catalog does not have', () => {
    const documented = documentedCodes(committed);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
  });

  it('gives each code its retryable flag, exit code and HTTP status', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOG)) {
      const row = committed.split('\n').find((l) => l.startsWith(`| \`${code}\` |`)) ?? '';
      expect(row.endsWith(`| ${spec.retryable ? 'yes' : 'no'} | ${spec.exitCode} | ${spec.httpStatus} |`), row).toBe(true);
    }
  });

  it('and the README lists the same exit codes, 0 to 4', () => {
    const section = readme.slice(readme.indexOf('### Exit codes'), readme.indexOf('\n## ', readme.indexOf('### Exit codes')));
    for (const exit of [0, 1, 2, 3, 4]) expect(section).toMatch(new RegExp(`^\\| ${exit} \\|`, 'm'));
    expect(section).toContain('docs/errors.md');
  });
});
