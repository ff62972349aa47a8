/**
 * Reads a segment's events. Nothing is yielded until the whole file has been
 * verified (length and sha256, streamed); then events stream block by block,
 * each checked for a known `op` and for position order.
 */
import { OPERATION_TYPES, changeEventType, comparePositions, formatPosition } from '../../contracts/index.js';
import type { ChangeEvent, FileRef, Position, SegmentEntry } from '../../contracts/index.js';
import { ArchiveError } from './archive-errors.js';
import { readContainer } from './avro-container.js';
import type { BlobStore } from './blob-store.js';
import { eventPosition } from './segment-writer.js';

const VALID_OPS: ReadonlySet<string> = new Set(OPERATION_TYPES);

function isSegmentEntry(x: FileRef | SegmentEntry): x is SegmentEntry {
  return 'file' in x;
}

/**
 * Events of one segment, in position order. Given the catalog's SegmentEntry
 * (rather than only its FileRef), the event count is checked as well.
 */
export async function* readSegment(store: BlobStore, segment: FileRef | SegmentEntry): AsyncGenerator<ChangeEvent> {
  const ref = isSegmentEntry(segment) ? segment.file : segment;
  const location = store.locate(ref.path);
  const fail = (detail: string) => new ArchiveError('ARCHIVE_DECODE_FAILED', { path: ref.path, location, detail });
  let previous: Position | null = null;
  let count = 0;
  for await (const event of readContainer<ChangeEvent>(store, ref, changeEventType, 'segment')) {
    if (!VALID_OPS.has(event.op)) throw fail(`event ${count} has unknown op ${JSON.stringify(event.op)}`);
    const at = eventPosition(event);
    if (previous && comparePositions(at, previous) <= 0) {
      throw new ArchiveError('SEGMENT_OUT_OF_ORDER', {
        path: ref.path,
        previous: formatPosition(previous),
        got: formatPosition(at),
      });
    }
    previous = at;
    count++;
    yield event;
  }
  if (isSegmentEntry(segment) && count !== segment.count) {
    throw new ArchiveError('ARCHIVE_COUNT_MISMATCH', { path: ref.path, location, expected: segment.count, actual: count });
  }
}
