/**
 * `rewind history`: every version of one document the archive knows, oldest
 * first: its state in the earliest snapshot that holds the namespace, then one
 * version per event that touched it (insert, update, replace, delete, and the
 * drop / rename / dropDatabase that made it disappear), each with its position,
 * time, operation and transaction. Updates are folded with the replay engine's
 * exact apply, so each version is the document right after that event.
 */
import { EJSON, deserialize } from '../../contracts/bson.js';
import { EXACT_BSON, compareDocumentKeys, comparePositions, formatPosition, parsePosition, positionToIso } from '../../contracts/index.js';
import type { Catalog, ChangeEvent, Position } from '../../contracts/index.js';
import { readSegment, readSnapshotNamespace } from '../archive/index.js';
import type { BlobStore } from '../archive/index.js';
import { applyDocumentEvent, documentKeyOf, isDocumentEvent } from '../replay/apply-document.js';
import { eventPosition } from '../replay/event-position.js';
import { keyToJson } from './document-keys.js';
import { RestoreError } from './errors.js';
import { translated } from './translate-errors.js';
import { bsonToEjson } from '../../contracts/bson-to-ejson.js';
import { RawJson } from '../../contracts/ordered-json.js';

export interface DocumentVersion {
  position: string;
  time: string;
  wallTime: string | null;
  /** 'snapshot' for the starting state, else the event's operationType. */
  operation: string;
  eventId: string | null;
  transaction: { lsid: unknown; txnNumber: number } | null;
  /** Whether the document exists after this version. */
  exists: boolean;
  /**
   * Canonical Extended JSON of the document after this version, as text in the document's field order
   * (stringifyJson embeds it as is); null when it does not exist or is unknown.
   */
  document: RawJson | null;
  /** Set when the state after this event cannot be known (history lost, e.g. an update of an unknown prior). */
  unknown?: string;
  /** For renames: where the collection went. */
  renamedTo?: string;
}

export interface HistoryReport {
  ns: string;
  key: unknown;
  from: string | null;
  versions: DocumentVersion[];
}

function nsOf(ev: ChangeEvent): string {
  return ev.ns.coll === null ? ev.ns.db : `${ev.ns.db}.${ev.ns.coll}`;
}

/** Canonical Extended JSON of the document, in its own field order (printed with stringifyJson). */
function canonicalDocument(bytes: Buffer | Uint8Array): RawJson {
  return new RawJson(bsonToEjson(bytes));
}

function transactionOf(ev: ChangeEvent): DocumentVersion['transaction'] {
  if (!ev.txn) return null;
  return { lsid: EJSON.serialize(deserialize(ev.txn.lsid, EXACT_BSON), { relaxed: false }), txnNumber: ev.txn.txnNumber };
}

function versionOf(ev: ChangeEvent, doc: Buffer | undefined, extra: Partial<DocumentVersion> = {}): DocumentVersion {
  const at = eventPosition(ev);
  return {
    position: formatPosition(at),
    time: positionToIso(at),
    wallTime: ev.wallTimeMs === null ? null : new Date(ev.wallTimeMs).toISOString(),
    operation: ev.op,
    eventId: ev.id,
    transaction: transactionOf(ev),
    exists: doc !== undefined,
    document: doc === undefined ? null : canonicalDocument(doc),
    ...extra,
  };
}

export async function documentHistory(options: { store: BlobStore; catalog: Catalog; ns: string; key: Uint8Array }): Promise<HistoryReport> {
  const { store, catalog, ns, key } = options;
  return translated(async () => {
    const known = new Set([...catalog.collections.map((c) => c.ns), ...catalog.snapshots.flatMap((s) => s.namespaces.map((n) => n.ns)), ...catalog.segments.flatMap((s) => Object.keys(s.namespaces))]);
    if (!known.has(ns)) {
      throw new RestoreError('UNKNOWN_NAMESPACE', `namespace ${JSON.stringify(ns)} is not in the archive`, { context: { ns } });
    }
    const versions: DocumentVersion[] = [];
    let current: Buffer | undefined;
    let from: Position | null = null;

    // Start from the earliest snapshot: every later state follows from it and the segments.
    const first = [...catalog.snapshots].sort((a, b) => comparePositions(parsePosition(a.position), parsePosition(b.position)))[0];
    if (first) {
      from = parsePosition(first.position);
      const entry = first.namespaces.find((n) => n.ns === ns);
      if (entry) {
        for await (const r of readSnapshotNamespace(store, entry)) {
          const c = compareDocumentKeys(r.key, key);
          if (c === 0) current = r.document;
          if (c >= 0) break; // sorted by key: nothing further can match
        }
      }
      versions.push({
        position: formatPosition(from),
        time: positionToIso(from),
        wallTime: null,
        operation: 'snapshot',
        eventId: null,
        transaction: null,
        exists: current !== undefined,
        document: current === undefined ? null : canonicalDocument(current),
      });
    }

    // Every segment after the snapshot: a segment's namespace summary counts a rename under its
    // source namespace, so filtering by it could miss a collection renamed onto this one.
    const segments = [...catalog.segments]
      .filter((s) => from === null || comparePositions(parsePosition(s.last), from) > 0)
      .sort((a, b) => comparePositions(parsePosition(a.first), parsePosition(b.first)));
    const db = ns.slice(0, ns.indexOf('.'));
    let last = from;
    for (const segment of segments) {
      for await (const ev of readSegment(store, segment)) {
        const at = eventPosition(ev);
        if (last && comparePositions(at, last) <= 0) continue; // already in the snapshot, or re-delivered
        last = at;
        const evNs = nsOf(ev);
        if (isDocumentEvent(ev)) {
          if (evNs !== ns || compareDocumentKeys(documentKeyOf(ev), key) !== 0) continue;
          const outcome = applyDocumentEvent(current, ev);
          if (outcome.kind === 'put') current = outcome.doc;
          else current = undefined;
          versions.push(versionOf(ev, current, outcome.kind === 'gap' ? { unknown: outcome.reason } : {}));
        } else if ((ev.op === 'drop' && evNs === ns) || (ev.op === 'dropDatabase' && ev.ns.db === db)) {
          if (current === undefined) continue;
          current = undefined;
          versions.push(versionOf(ev, undefined));
        } else if (ev.op === 'rename' && evNs === ns) {
          if (current === undefined) continue;
          current = undefined;
          const to = ev.to ? `${ev.to.db}.${ev.to.coll ?? ''}` : 'unknown';
          versions.push(versionOf(ev, undefined, { renamedTo: to }));
        } else if (ev.op === 'rename' && ev.to && `${ev.to.db}.${ev.to.coll ?? ''}` === ns) {
          // A collection renamed over this one (dropTarget): whatever was here is gone, and
          // the incoming documents' history lives under the old name.
          current = undefined;
          versions.push(versionOf(ev, undefined, { unknown: `collection ${evNs} renamed onto ${ns}; see the history of ${evNs}` }));
        }
      }
    }
    return { ns, key: keyToJson(key), from: from === null ? null : formatPosition(from), versions };
  });
}
