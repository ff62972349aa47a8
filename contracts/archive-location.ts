/**
 * Where an archive is, as named on the command line, in REWIND_ARCHIVE_DIR or
 * in `archive.dir`: a folder, or `s3://bucket/prefix` for a prefix of an
 * S3-compatible bucket. One parser for the config schema and for every
 * command, so a typo is refused the same way everywhere and before anything
 * is opened.
 */

export type ArchiveLocation = { kind: 'fs'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

/** S3's bucket naming rules (lowercase letters, digits, dots, hyphens; 3–63 characters; no IP addresses). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The location, or the reason `text` is not one. */
export function parseArchiveLocation(text: string): ArchiveLocation | { error: string } {
  if (!/^s3:/i.test(text)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return { error: `only folders and s3://bucket/prefix are supported, not ${text.split(':')[0]}://` };
    return { kind: 'fs', dir: text };
  }
  const m = /^s3:\/\/([^/?#]*)(?:\/([^?#]*))?$/.exec(text);
  if (!m || !text.startsWith('s3://')) return { error: 'expected s3://bucket/prefix' };
  const bucket = m[1] ?? '';
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    return { error: `${JSON.stringify(bucket)} is not a valid bucket name (3-63 lowercase letters, digits, dots and hyphens)` };
  }
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  for (const part of prefix === '' ? [] : prefix.split('/')) {
    if (part === '' || part === '.' || part === '..') return { error: `the prefix ${JSON.stringify(prefix)} has an empty, "." or ".." segment` };
  }
  return { kind: 's3', bucket, prefix };
}

export function isS3Location(text: string): boolean {
  return /^s3:/i.test(text);
}
