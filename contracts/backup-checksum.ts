/**
 * The checksum of a backup JSON file (`{timestamp, version, source,
 * collections: {name: [records]}, metadata: {total_records, exported_by,
 * checksum}}`), as the "files" helper's reader and writer define it
 * (services/files/backup-json.ts): `metadata.checksum` is the lowercase hex
 * sha256 of the bytes of the file's top-level `collections` value exactly as
 * they stand in the file, from its `{` to its matching `}` inclusive (UTF-8,
 * nothing re-serialized, whitespace included). So a writer can fill it after
 * streaming the records and a reader can check it while streaming; a file
 * re-indented inside `collections` no longer matches (it is another file).
 * `sha256:<hex>` is accepted as well as bare hex, in any case.
 *
 * `rewind scan` checks it with this module, `rewind import` refuses a file
 * whose sum does not hold, `rewind export --format backup-json` fills it.
 */
import { createHash } from 'node:crypto';

/** Skips a JSON string starting at `i` (a `"`); returns the index after its closing quote. */
function skipString(b: Uint8Array, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    if (b[j] === 0x5c) j++; // backslash: the next byte is escaped
    else if (b[j] === 0x22) return j + 1;
  }
  return -1;
}

/** Skips one JSON value starting at `i` (after whitespace); returns the index after it, or -1. */
function skipValue(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === 0x22) return skipString(b, i);
  if (c !== 0x7b && c !== 0x5b) {
    let j = i;
    while (j < b.length && b[j] !== 0x2c && b[j] !== 0x7d && b[j] !== 0x5d) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < b.length; j++) {
    const d = b[j];
    if (d === 0x22) {
      j = skipString(b, j) - 1;
      if (j < 0) return -1;
    } else if (d === 0x7b || d === 0x5b) depth++;
    else if (d === 0x7d || d === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The byte range of the top-level `collections` value of a JSON object's text, or null. */
export function collectionsSpan(bytes: Uint8Array): { start: number; end: number } | null {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 BOM
  while (isSpace(bytes[i])) i++;
  if (bytes[i] !== 0x7b) return null;
  i++;
  for (;;) {
    while (isSpace(bytes[i]) || bytes[i] === 0x2c) i++;
    if (bytes[i] !== 0x22) return null; // the end of the object, or not JSON
    const keyEnd = skipString(bytes, i);
    if (keyEnd < 0) return null;
    let key: unknown;
    try {
      key = JSON.parse(Buffer.from(bytes.subarray(i, keyEnd)).toString('utf8'));
    } catch {
      return null;
    }
    i = keyEnd;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] !== 0x3a) return null;
    i++;
    while (isSpace(bytes[i])) i++;
    const end = skipValue(bytes, i);
    if (end < 0) return null;
    if (key === 'collections') return { start: i, end };
    i = end;
  }
}

/** The checksum a backup JSON file's metadata.checksum must hold; null when the text has no top-level `collections`. */
export function backupChecksumOfFile(bytes: Uint8Array): string | null {
  const span = collectionsSpan(bytes);
  return span ? createHash('sha256').update(bytes.subarray(span.start, span.end)).digest('hex') : null;
}

export type BackupChecksumCheck =
  | { status: 'valid'; expected: string; actual: string }
  | { status: 'invalid'; expected: string; actual: string }
  | { status: 'absent'; actual: string };

/** Holds the file's `metadata.checksum` (from its parsed document) against its bytes. */
export function checkBackupChecksum(bytes: Uint8Array, document: { metadata?: unknown }): BackupChecksumCheck {
  const actual = backupChecksumOfFile(bytes) ?? '';
  const given = (document.metadata as { checksum?: unknown } | undefined)?.checksum;
  if (typeof given !== 'string' || given.trim() === '') return { status: 'absent', actual };
  const expected = given.trim().toLowerCase().replace(/^sha256:/, '');
  return { status: expected === actual ? 'valid' : 'invalid', expected, actual };
}
