/**
 * Reads one namespace of a snapshot, part after part. Each part is verified
 * (length and sha256) before any of its records is yielded; the total count
 * is checked against the catalog at the end.
 */
import { snapshotRecordType } from '../../contracts/index.js';
import type { SnapshotNamespace, SnapshotRecord } from '../../contracts/index.js';
import { ArchiveError } from './archive-errors.js';
import { readContainerBlocks } from './container-reader.js';
import type { BlobStore } from './blob-store.js';

export async function* readSnapshotNamespace(store: BlobStore, entry: SnapshotNamespace): AsyncGenerator<SnapshotRecord> {
  let count = 0;
  for (const file of entry.files) {
    for await (const block of readContainerBlocks<SnapshotRecord>(store, file, snapshotRecordType, 'snapshot')) {
      count += block.length;
      yield* block;
    }
  }
  if (count !== entry.count) {
    const last = entry.files.at(-1)?.path ?? entry.ns;
    throw new ArchiveError('ARCHIVE_COUNT_MISMATCH', {
      path: last,
      location: store.locate(last),
      expected: entry.count,
      actual: count,
    });
  }
}
