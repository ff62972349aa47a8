/**
 * The checksum of a backup JSON file (`{timestamp, version, source,
 * collections: {name: [records]}, metadata: {total_records, exported_by,
 * checksum}}`): `metadata.checksum` is the lowercase hex sha256 of the UTF-8
 * bytes of the document's canonical serialization with `metadata.checksum`
 * itself left out (every other member, metadata's included, is covered).
 *
 * Canonical serialization is RFC 8785 (JSON Canonicalization Scheme): object
 * members sorted by the UTF-16 code units of their names, no whitespace,
 * strings escaped and numbers written as ECMAScript's JSON.stringify writes
 * them. Sorting makes the sum independent of how the file was indented or in
 * which order a writer put its keys, and of JSON.parse moving digit-only keys
 * first. The file is read as JSON (numbers as IEEE doubles, the last of
 * duplicate member names wins), so a writer computes the sum over what a
 * reader will parse, not over its own in-memory values.
 *
 * `rewind scan` checks it; `rewind export --format backup-json` fills it and
 * `rewind import` refuses a file whose sum does not hold. `sha256:<hex>` is
 * accepted as well as bare hex.
 */
import { createHash } from 'node:crypto';

export const BACKUP_CHECKSUM_ALGORITHM = 'sha256 over RFC 8785 canonical JSON without metadata.checksum';

/** RFC 8785 serialization of a JSON value (as JSON.parse returns it). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no NaN or Infinity');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    // Default sort compares UTF-16 code units, which is what RFC 8785 asks for.
    const names = Object.keys(value).sort();
    const record = value as Record<string, unknown>;
    return `{${names
      .filter((n) => record[n] !== undefined)
      .map((n) => `${JSON.stringify(n)}:${canonicalJson(record[n])}`)
      .join(',')}}`;
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}

/** The value `metadata.checksum` must hold for this parsed backup document. */
export function backupChecksum(document: Record<string, unknown>): string {
  const metadata = document.metadata;
  const covered: Record<string, unknown> = { ...document };
  if (metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)) {
    const rest: Record<string, unknown> = { ...(metadata as Record<string, unknown>) };
    delete rest.checksum;
    covered.metadata = rest;
  }
  return createHash('sha256').update(canonicalJson(covered), 'utf8').digest('hex');
}

export type BackupChecksumCheck =
  | { status: 'valid'; expected: string; actual: string }
  | { status: 'invalid'; expected: string; actual: string }
  | { status: 'absent'; actual: string };

/** Holds the document's `metadata.checksum` against its content. */
export function checkBackupChecksum(document: Record<string, unknown>): BackupChecksumCheck {
  const actual = backupChecksum(document);
  const given = (document.metadata as { checksum?: unknown } | undefined)?.checksum;
  if (typeof given !== 'string' || given.trim() === '') return { status: 'absent', actual };
  const expected = given.trim().toLowerCase().replace(/^sha256:/, '');
  return { status: expected === actual ? 'valid' : 'invalid', expected, actual };
}
