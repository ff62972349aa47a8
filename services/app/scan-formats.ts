/**
 * What each backup file found by the scan is: its format, how many records
 * it holds and whether its own checksum holds. Read-only and streaming where
 * the format allows (NDJSON, CSV and BSON are counted chunk by chunk, with
 * bounded memory); JSON documents are parsed whole, up to `maxParseBytes`
 * (a larger one is listed with its size and `checksum: unchecked`).
 *
 * Format rules (the seed's record extraction for JSON):
 * - an object with `collections` (an object of arrays) and `metadata`:
 *   backup-json, its metadata.checksum checked against the file's bytes
 *   (contracts/backup-checksum.ts);
 * - an array whose first records carry Extended JSON wrappers ($oid, $date,
 *   $numberLong…): mongoexport-json; any other array: record-json;
 * - an object holding an array under data, records, items, conversations or
 *   messages, `collections` without metadata, or one record with `id`, `_id`
 *   or `session_id`: record-json;
 * - a .json file that is not one JSON value but one per line: ndjson (that is
 *   mongoexport's default output), or ndjson-change-events when its first
 *   line is a change event;
 * - a .bson file: bson-change-events when its first document is a change
 *   event (operationType), else bson; inside a mongodump folder: mongodump.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { checkBackupChecksum } from '../../contracts/backup-checksum.js';
import type { BackupFile, BackupFileFormat, ChecksumCheck } from '../../contracts/recovery-report.js';
import { onDemand } from '../../contracts/bson.js';
import type { FoundFile, FoundFolder } from './scan-files.js';

export const DEFAULT_MAX_PARSE_BYTES = 256 * 1024 * 1024;

const RECORD_KEYS = ['data', 'records', 'items', 'conversations', 'messages'] as const;
const EJSON_WRAPPERS = new Set(['$oid', '$date', '$numberLong', '$numberInt', '$numberDouble', '$numberDecimal', '$binary', '$timestamp', '$regularExpression', '$uuid', '$minKey', '$maxKey', '$symbol', '$code']);
const NOT_APPLICABLE: ChecksumCheck = { status: 'not-applicable' };

interface Described {
  format: BackupFileFormat;
  record_count: number | null;
  checksum: ChecksumCheck;
  collections?: Record<string, number>;
  problem?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function hasEjsonWrapper(record: unknown): boolean {
  if (!isObject(record)) return false;
  return Object.values(record).some((v) => isObject(v) && Object.keys(v).some((k) => EJSON_WRAPPERS.has(k)));
}

const isChangeEvent = (v: unknown) => isObject(v) && typeof v.operationType === 'string' && ('clusterTime' in v || isObject(v._id));

/** The format and record count of a parsed JSON document. */
export function describeJson(value: unknown, bytes: Uint8Array): Described {
  if (Array.isArray(value)) {
    const ejson = value.slice(0, 10).some(hasEjsonWrapper);
    return { format: ejson ? 'mongoexport-json' : 'record-json', record_count: value.length, checksum: NOT_APPLICABLE };
  }
  if (!isObject(value)) return { format: 'unknown', record_count: null, checksum: NOT_APPLICABLE, problem: 'a JSON value that holds no records' };
  const collections = value.collections;
  if (isObject(collections) && Object.values(collections).every(Array.isArray)) {
    const counts = Object.fromEntries(Object.entries(collections).map(([name, records]) => [name, (records as unknown[]).length]));
    const total = Object.values(counts).reduce((n, c) => n + c, 0);
    if (isObject(value.metadata)) {
      const check = checkBackupChecksum(bytes, value);
      return { format: 'backup-json', record_count: total, checksum: check, collections: counts };
    }
    return { format: 'record-json', record_count: total, checksum: NOT_APPLICABLE, collections: counts };
  }
  for (const key of RECORD_KEYS) {
    const records = value[key];
    if (Array.isArray(records)) return { format: 'record-json', record_count: records.length, checksum: NOT_APPLICABLE };
  }
  if ('id' in value || '_id' in value || 'session_id' in value) return { format: 'record-json', record_count: 1, checksum: NOT_APPLICABLE };
  return { format: 'unknown', record_count: null, checksum: NOT_APPLICABLE, problem: `no records found (no array, no ${RECORD_KEYS.join('/')} or collections member, no id)` };
}

function stream(path: string, gzip: boolean): Readable {
  const raw = createReadStream(path);
  return gzip ? raw.pipe(createGunzip()) : raw;
}

/** Counts the JSON lines of an NDJSON stream; bad lines are counted and the first one named. */
async function describeNdjson(path: string): Promise<Described> {
  const lines = createInterface({ input: stream(path, false), crlfDelay: Infinity });
  let count = 0;
  let bad = 0;
  let firstBad = 0;
  let lineNo = 0;
  let events: boolean | null = null;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      bad++;
      if (firstBad === 0) firstBad = lineNo;
      continue;
    }
    events ??= isChangeEvent(value);
    count++;
  }
  return {
    format: events ? 'ndjson-change-events' : 'ndjson',
    record_count: count,
    checksum: NOT_APPLICABLE,
    ...(bad > 0 ? { problem: `${bad} line(s) are not JSON, the first at line ${firstBad}` } : {}),
  };
}

/** Counts the records of a CSV stream (quoted fields may hold newlines), less the header. */
async function describeCsv(path: string): Promise<Described> {
  let quoted = false;
  let records = 0;
  let inRecord = false;
  for await (const chunk of stream(path, false) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte === 0x22) quoted = !quoted; // "" inside quotes toggles twice: no change
      if (!quoted && (byte === 0x0a || byte === 0x0d)) {
        if (inRecord) records++;
        inRecord = false;
      } else if (byte !== 0x0d) inRecord = true;
    }
  }
  if (inRecord) records++;
  return {
    format: 'csv',
    record_count: Math.max(0, records - 1),
    checksum: NOT_APPLICABLE,
    ...(quoted ? { problem: 'the file ends inside a quoted field' } : {}),
  };
}

/** Counts the documents of a BSON stream (each starts with its int32 length); the first says whether they are change events. */
export async function countBson(path: string, gzip: boolean): Promise<{ count: number; changeEvents: boolean; problem?: string }> {
  let pending: Buffer = Buffer.alloc(0);
  let count = 0;
  let offset = 0;
  let changeEvents = false;
  for await (const chunk of stream(path, gzip) as AsyncIterable<Buffer>) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32LE(0);
      if (size < 5) return { count, changeEvents, problem: `not BSON: a document of ${size} bytes at byte offset ${offset}` };
      if (pending.length < size) break;
      if (count === 0) {
        const first = pending.subarray(0, size);
        try {
          changeEvents = [...onDemand.parseToElements(first)].some(([, nameOffset, nameLength]) => first.toString('utf8', nameOffset, nameOffset + nameLength) === 'operationType');
        } catch {
          return { count, changeEvents, problem: 'not BSON: the first document does not parse' };
        }
      }
      count++;
      offset += size;
      pending = pending.subarray(size);
    }
  }
  if (pending.length > 0) return { count, changeEvents, problem: `truncated: ${pending.length} byte(s) after the last whole document (byte offset ${offset})` };
  return { count, changeEvents };
}

async function describeJsonFile(file: FoundFile, maxParseBytes: number): Promise<Described> {
  if (file.stats.size > maxParseBytes) {
    return { format: 'unknown', record_count: null, checksum: { status: 'unchecked', reason: `larger than ${maxParseBytes} bytes: not parsed whole` } };
  }
  const bytes = await readFile(file.realPath);
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // mongoexport writes one document per line into a .json file by default.
    const ndjson = await describeNdjson(file.realPath);
    if ((ndjson.record_count ?? 0) > 0) return ndjson;
    return { format: 'unknown', record_count: null, checksum: { status: 'unchecked', reason: 'not JSON' }, problem: `not JSON: ${(err as Error).message}` };
  }
  return describeJson(value, bytes);
}

/** Describes one file found by the search. Throws only on I/O (the caller lists the file as unreadable). */
export async function describeFile(file: FoundFile, maxParseBytes = DEFAULT_MAX_PARSE_BYTES): Promise<BackupFile> {
  const name = file.path.split(/[\\/]/).at(-1) ?? file.path;
  const lower = name.toLowerCase();
  let d: Described;
  if (lower.endsWith('.csv')) d = await describeCsv(file.realPath);
  else if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) d = await describeNdjson(file.realPath);
  else if (lower.endsWith('.bson') || lower.endsWith('.bson.gz')) {
    const b = await countBson(file.realPath, lower.endsWith('.gz'));
    d = { format: b.changeEvents ? 'bson-change-events' : 'bson', record_count: b.count, checksum: NOT_APPLICABLE, ...(b.problem ? { problem: b.problem } : {}) };
  } else d = await describeJsonFile(file, maxParseBytes);
  return {
    path: file.path,
    name,
    size: file.stats.size,
    modified: file.stats.mtime.toISOString(),
    record_count: d.record_count,
    format: d.format,
    kind: 'file',
    checksum: d.checksum,
    ...(d.collections ? { collections: d.collections } : {}),
    ...(d.problem ? { problem: d.problem } : {}),
  };
}

/** Describes a mongodump folder: documents per collection. */
export async function describeDump(folder: FoundFolder): Promise<BackupFile> {
  const collections: Record<string, number> = {};
  const problems: string[] = [];
  let size = 0;
  for (const [coll, path] of [...folder.collections].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const b = await countBson(path, path.endsWith('.gz'));
    collections[coll] = b.count;
    if (b.problem) problems.push(`${coll}: ${b.problem}`);
    size += (await stat(path)).size;
  }
  return {
    path: folder.path,
    name: folder.path.split(/[\\/]/).at(-1) ?? folder.path,
    size,
    modified: folder.stats.mtime.toISOString(),
    record_count: Object.values(collections).reduce((n, c) => n + c, 0),
    format: 'mongodump',
    kind: 'folder',
    checksum: NOT_APPLICABLE,
    collections,
    ...(problems.length ? { problem: problems.join('; ') } : {}),
  };
}
