/**
 * Namespace names: `db.coll` as MongoDB writes them (a database name cannot
 * contain a dot, so the first dot splits), and their file-name form. Collection
 * names may hold characters no file system accepts (`/`, `\0`…), and letter case
 * alone must not collide on case-insensitive file systems, so the file-name
 * form keeps only `[a-z0-9_-]` and writes every other UTF-8 byte as `%XX`
 * (uppercase letters included): safe everywhere, and reversible.
 */
import { createHash } from 'node:crypto';

export function namespaceName(db: string, coll: string | null): string {
  return coll === null ? db : `${db}.${coll}`;
}

export function splitNamespace(ns: string): { db: string; coll: string | null } {
  const dot = ns.indexOf('.');
  return dot < 0 ? { db: ns, coll: null } : { db: ns.slice(0, dot), coll: ns.slice(dot + 1) };
}

const SAFE = /^[a-z0-9_-]$/;
/** Leaves room for a part suffix and the extension within the common 255-byte name limit. */
const MAX_ENCODED = 200;

/** File-name form of one namespace component (database or collection name). */
export function encodeNameForPath(name: string): string {
  let out = '';
  for (const ch of name) {
    if (SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length === 0) return '%';
  if (out.length <= MAX_ENCODED) return out;
  // Too long for a file name: keep a readable prefix and make it unique with a hash.
  // Such a name no longer decodes; the catalog keeps the true namespace beside every file.
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${out.slice(0, MAX_ENCODED - 17).replace(/%[0-9A-F]?$/, '')}~${hash}`;
}

/** Inverse of encodeNameForPath for names that were not shortened (no `~`). */
export function decodeNameFromPath(encoded: string): string {
  if (encoded === '%') return '';
  if (encoded.includes('~')) throw new Error(`${encoded} was shortened with a hash and cannot be decoded`);
  return Buffer.from(
    encoded.replace(/%([0-9A-F]{2})|(.)/g, (_m, hex: string | undefined, ch: string | undefined) =>
      hex ? String.fromCharCode(parseInt(hex, 16)) : (ch ?? ''),
    ),
    'latin1',
  ).toString('utf8');
}
