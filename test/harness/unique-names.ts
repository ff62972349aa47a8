// Names no other test (in this run, a parallel worker, or an earlier run on
// the same long-lived server) uses, so tests never see each other's data.
import { randomBytes } from 'node:crypto';

let counter = 0;

function suffix(): string {
  counter += 1;
  return `${process.pid.toString(36)}${counter.toString(36)}${randomBytes(3).toString('hex')}`;
}

function label(text: string, allowed: RegExp, max: number): string {
  return text.replace(allowed, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, max) || 't';
}

/** A fresh Kafka topic name (legal characters: letters, digits, `.`, `_`, `-`; at most 249). */
export function uniqueTopic(what = 'test'): string {
  return `rewind-test.${label(what, /[^A-Za-z0-9_-]+/g, 80)}.${suffix()}`;
}

/** A fresh MongoDB database name (no `/\\. "$*<>:|?`; kept well under MongoDB's 63-byte limit). */
export function uniqueDatabase(what = 'test'): string {
  return `rwt_${label(what, /[^A-Za-z0-9_-]+/g, 30)}_${suffix()}`;
}

/** A fresh S3 bucket name (lowercase letters, digits and hyphens; at most 63). */
export function uniqueBucket(what = 'test'): string {
  return `rwt-${label(what.toLowerCase(), /[^a-z0-9-]+/g, 30)}-${suffix()}`.toLowerCase().slice(0, 63);
}
