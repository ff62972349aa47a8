/**
 * The history job: every version of one document the archive knows, oldest
 * first, optionally only those up to a point in time. The request is checked
 * before the archive is read: one collection (no wildcard), a valid name, a
 * key given as BSON bytes of the _id (contracts/document-key.ts).
 */
import { comparePositions, parsePosition, positionAtIsoTime } from '../../contracts/position.js';
import type { Position } from '../../contracts/position.js';
import type { PointInTime } from '../../contracts/point-in-time.js';
import type { ArchiveRef } from '../archive/index.js';
import { readSegment } from '../archive/index.js';
import { findEventPosition, segmentsToSearch } from '../replay/plan-restore.js';
import { throughTransaction } from '../replay/transaction-boundary.js';
import { RestoreError } from '../restore/errors.js';
import { documentHistory } from '../restore/history.js';
import type { HistoryReport } from '../restore/history.js';
import { hasWildcard, validateNamespaceName } from '../restore/namespace-scope.js';
import { openArchive } from '../restore/open-archive.js';
import { nameOf } from '../restore/request-names.js';
import type { RequestNames } from '../restore/request-names.js';
import { translated } from '../restore/translate-errors.js';
import { checkAborted } from './job-abort.js';

export type { DocumentVersion, HistoryReport } from '../restore/history.js';

export interface HistoryRequest {
  archive: ArchiveRef;
  /** One collection, db.coll. */
  ns: string;
  /** The document key: the BSON bytes of a document `{ _id: … }` (restore/document-keys.ts keyFromText makes them). */
  key: Uint8Array;
  /** Only versions at or before this point (before the event, for before-event); latest: every version. */
  at?: PointInTime;
  names?: RequestNames;
  signal?: AbortSignal;
}

export type HistoryResult = HistoryReport;

export async function history(req: HistoryRequest): Promise<HistoryResult> {
  checkAborted(req.signal, 'history');
  const ns = nameOf(req.names, 'ns');
  if (req.ns === '' || hasWildcard(req.ns)) throw new RestoreError('BAD_OPTIONS', `${ns} names one collection, db.coll (no wildcard)`, { context: { field: 'ns' } });
  validateNamespaceName(req.ns, ns);
  const { store, catalog } = await openArchive(req.archive);
  checkAborted(req.signal, 'history');
  const report = await documentHistory({ store, catalog, ns: req.ns, key: req.key });
  const at = req.at ?? { kind: 'latest' };
  if (at.kind === 'latest') return report;
  let limit: Position;
  let inclusive = true;
  if (at.kind === 'before-event') {
    const found = await translated(() => findEventPosition((async function* () {
      for (const segment of segmentsToSearch(catalog)) yield* readSegment(store, segment);
    })(), at.eventId));
    if (!found) throw new RestoreError('UNKNOWN_EVENT', `no event with id ${JSON.stringify(at.eventId)} in the archive`, { context: { eventId: at.eventId } });
    limit = found;
    inclusive = false;
  } else if (at.kind === 'snapshot') {
    // A named snapshot's position: the versions up to the state it holds.
    const snap = catalog.snapshots.find((s) => s.name === at.name) ?? catalog.snapshots.find((s) => s.id === at.name);
    if (!snap) throw new RestoreError('UNKNOWN_SNAPSHOT', `no snapshot named ${JSON.stringify(at.name)} in the archive (rewind catalog lists them)`, { context: { name: at.name } });
    limit = throughTransaction(parsePosition(snap.position));
  } else {
    limit = at.kind === 'time' ? positionAtIsoTime(at.iso) : at.position;
  }
  const versions = report.versions.filter((v) => {
    const c = comparePositions(parsePosition(v.position), limit);
    return inclusive ? c <= 0 : c < 0;
  });
  return { ...report, versions };
}
