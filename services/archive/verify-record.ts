/**
 * The verify record (contracts/verify-record.ts) in the archive's store:
 * verify.json beside the catalog, replaced whole by one put (an atomic rename
 * in a folder, a single PutObject on S3), so a reader sees the old record or
 * the new one, never a part. Kept out of the catalog on purpose: `rewind
 * verify` must record its result while a running archiver holds the
 * catalog's writer lock.
 */
// The contracts modules themselves, not their index (which brings avsc): `rewind status` reads the record.
import { VERIFY_RECORD_FILE, verifyRecordSchema } from '../../contracts/verify-record.js';
import type { VerifyRecord } from '../../contracts/verify-record.js';
import { isArchiveError } from './archive-errors.js';
import { readWhole } from './blob-store.js';
import type { BlobStore } from './blob-store.js';

export { VERIFY_RECORD_FILE };

export async function writeVerifyRecord(store: BlobStore, record: VerifyRecord): Promise<void> {
  await store.put(VERIFY_RECORD_FILE, Buffer.from(`${JSON.stringify(verifyRecordSchema.parse(record), null, 2)}\n`));
}

export type VerifyRecordRead = { record: VerifyRecord | null; problem?: undefined } | { record: null; problem: string };

/** The last record; `record: null` when the archive was never verified, `problem` when the file is there but unreadable or not a record. */
export async function readVerifyRecord(store: BlobStore): Promise<VerifyRecordRead> {
  let text: string;
  try {
    text = (await readWhole(store, VERIFY_RECORD_FILE)).toString('utf8');
  } catch (err) {
    if (isArchiveError(err, 'ARCHIVE_FILE_MISSING')) return { record: null };
    return { record: null, problem: `${store.locate(VERIFY_RECORD_FILE)}: cannot be read: ${err instanceof Error ? err.message : String(err)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { record: null, problem: `${store.locate(VERIFY_RECORD_FILE)}: not JSON` };
  }
  const parsed = verifyRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { record: null, problem: `${store.locate(VERIFY_RECORD_FILE)}: not a verify record (${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'})` };
  }
  return { record: parsed.data };
}
