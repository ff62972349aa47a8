/**
 * Reads a segment's events. Nothing is yielded until the whole file has been
 * verified (length and sha256, streamed); then events stream block by block,
 * each checked for a known `op` and for strictly increasing position.
 */
import { OPERATION_TYPES, changeEventType } from '../../contracts/index.js';
import type { ChangeEvent, FileRef, SegmentEntry } from '../../contracts/index.js';
import { ArchiveError } from './archive-errors.js';
import { readContainerBlocks } from './container-reader.js';
import type { BlobStore } from './blob-store.js';

const VALID_OPS: ReadonlySet<string> = new Set(OPERATION_TYPES);

function isSegmentEntry(x: FileRef | SegmentEntry): x is SegmentEntry {
  return 'file' in x;
}

const at = (e: ChangeEvent) => `${e.seconds}.${e.increment}.${e.index}`;

/**
 * Events of one segment, in position order. Given the catalog's SegmentEntry
 * (rather than only its FileRef), the event count is checked as well.
 */
export async function* readSegment(store: BlobStore, segment: FileRef | SegmentEntry): AsyncGenerator<ChangeEvent> {
  const ref = isSegmentEntry(segment) ? segment.file : segment;
  const location = store.locate(ref.path);
  let previous: ChangeEvent | null = null;
  let count = 0;
  for await (const block of readContainerBlocks<ChangeEvent>(store, ref, changeEventType, 'segment')) {
    for (const event of block) {
      if (!VALID_OPS.has(event.op)) {
        throw new ArchiveError('ARCHIVE_DECODE_FAILED', {
          path: ref.path,
          location,
          detail: `event ${count} has unknown op ${JSON.stringify(event.op)}`,
        });
      }
      // Compared field by field: building Position objects here would cost more than decoding.
      if (
        previous &&
        (event.seconds - previous.seconds || event.increment - previous.increment || event.index - previous.index) <= 0
      ) {
        throw new ArchiveError('SEGMENT_OUT_OF_ORDER', { path: ref.path, previous: at(previous), got: at(event) });
      }
      previous = event;
      count++;
      yield event;
    }
  }
  if (isSegmentEntry(segment) && count !== segment.count) {
    throw new ArchiveError('ARCHIVE_COUNT_MISMATCH', { path: ref.path, location, expected: segment.count, actual: count });
  }
}
