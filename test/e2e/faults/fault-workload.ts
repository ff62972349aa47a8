/**
 * The fault suite's source database, built the same way in the test and in
 * every `rewind collect` child (from the same seed, so a restarted collector
 * sees the same "live" stream): the random workload's raw change events
 * (test/e2e/restore/workload.ts, the corpus's shapes) over an initial copy of
 * its seeded collections plus `shop.blobs`, documents of incompressible
 * bytes that no event touches. The blobs make every base snapshot far larger
 * than the segments written meanwhile, so the suite can leave room on a small
 * filesystem for segments but not for a compaction.
 */
import { serialize } from '../../../contracts/bson.js';
import { Binary, Int32 } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import { compareDocumentKeys, position } from '../../../contracts/index.js';
import type { Position } from '../../../contracts/index.js';
import type { RecordedCollection } from '../../../services/collector/testing/recorded-copy-source.js';
import { ID_INDEX } from '../../../services/replay/collection-metadata.js';
import { Workload } from '../restore/workload.js';
import type { TrueState } from '../restore/workload.js';

export const SOURCE_DB = 'shop';

export interface FaultWorkloadSpec {
  seed: number;
  /** Operations (groups of events sharing one clusterTime). */
  groups: number;
  startSeconds: number;
  /** Documents of each workload collection in the initial copy. */
  perCollection: number;
  blobs: number;
  blobBytes: number;
}

export interface Checkpoint {
  /** After this operation (its whole transaction). */
  group: number;
  position: Position;
  truth: TrueState;
}

export interface FaultWorkload {
  events: Document[];
  copy: RecordedCollection[];
  /** Index just past each operation's last event. */
  groupEnds: number[];
  checkpoints: Checkpoint[];
}

/** Deterministic filler bytes (xorshift32), so children and test agree without sharing files. */
function blobBytes(seed: number, n: number): Buffer {
  let s = seed >>> 0 || 1;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out.writeUInt32LE(s >>> 0, i);
  }
  return out;
}

function sortedByKey(docs: Document[]): Buffer[] {
  return docs
    .map((d) => ({ key: serialize({ _id: d._id as unknown }), doc: Buffer.from(serialize(d)) }))
    .sort((a, b) => compareDocumentKeys(a.key, b.key))
    .map((x) => x.doc);
}

/** The events and the copy; with `checkpointEvery`, the true state after every so many operations and after the last. */
export function buildFaultWorkload(spec: FaultWorkloadSpec, checkpointEvery?: number): FaultWorkload {
  const workload = new Workload({ seed: spec.seed, db: SOURCE_DB, collections: ['orders', 'items', 'people'], startSeconds: spec.startSeconds });
  const seeded = workload.seed(spec.perCollection);
  const blobs: Document[] = Array.from({ length: spec.blobs }, (_, i) => ({ _id: new Int32(i), blob: new Binary(blobBytes(spec.seed * 7919 + i, spec.blobBytes), 0) }));
  const blobsNs = `${SOURCE_DB}.blobs`;
  // The copy reads by _id, as MongoCopySource does (sort({_id: 1})).
  const copy: RecordedCollection[] = [...seeded, [blobsNs, blobs] as const].map(([ns, docs]) => ({ ns, options: {}, indexes: [ID_INDEX], documents: sortedByKey(docs) }));
  const events: Document[] = [];
  const groupEnds: number[] = [];
  const checkpoints: Checkpoint[] = [];
  for (let g = 0; g < spec.groups; g++) {
    const group = workload.next();
    events.push(...group.events);
    groupEnds.push(events.length);
    if (checkpointEvery && ((g + 1) % checkpointEvery === 0 || g === spec.groups - 1)) {
      const ct = (group.events.at(-1) as { clusterTime: { high: number; low: number } }).clusterTime;
      const at = position(ct.high, ct.low, group.events.length - 1);
      const truth = workload.snapshot(at);
      truth.namespaces.set(blobsNs, { docs: blobs, indexes: [] });
      checkpoints.push({ group: g, position: at, truth });
    }
  }
  return { events, copy, groupEnds, checkpoints };
}

/** The resume-token data of an event: the id the archive keeps it under. */
export function eventId(event: Document): string {
  return (event._id as { _data: string })._data;
}
