/**
 * What travels through the event log, in one total order: change events, the
 * collector's progress (checkpoints), the initial copy (so that the archiver
 * can build the first base snapshot even when the collector runs on another
 * machine), and gaps. The log knows nothing about MongoDB: documents stay
 * opaque BSON bytes, resume tokens opaque canonical extended JSON.
 */
import type { Buffer } from 'node:buffer';
import type { ChangeEvent, CollectionMetadata, DeploymentIdentity } from '../../contracts/index.js';

/**
 * Progress of the collector. Everything in the log before this record is the
 * complete output of the change stream up to `durable`; resuming the stream at
 * `resumeToken` continues right after it, and `position` (the last event's
 * position, or `durable` after a heartbeat) lets a resume in the middle of a
 * transaction continue the index numbering.
 */
export interface Checkpoint {
  /** Canonical extended JSON of the resume token ({_data: hex}). */
  resumeToken: Record<string, unknown>;
  /** `seconds.increment.index` of the last event delivered (or `durable` when none). */
  position: string;
  /** `seconds.increment.index`: the source is captured completely up to here. */
  durable: string;
}

/** The leading fields of an event: enough to order it, check it and summarize its namespaces. */
export type EventHead = Pick<ChangeEvent, 'id' | 'seconds' | 'increment' | 'index' | 'op' | 'ns' | 'to'>;

/** An event as a transport carried it: its Avro bytes (contracts' changeEventType) and its head. */
export interface EncodedEvent {
  readonly head: EventHead;
  readonly avro: Buffer;
}

export type LogRecord =
  /**
   * `encoded` is set by a transport that carries events as Avro (Kafka): the archiver copies those
   * bytes into a segment as they are, and `event` is decoded only when something reads it.
   */
  | { kind: 'event'; event: ChangeEvent; readonly encoded?: EncodedEvent }
  | { kind: 'checkpoint'; checkpoint: Checkpoint }
  /** An initial copy begins; the log holds every event after `at`, so copy + log converge. */
  | { kind: 'copy-start'; copyId: string; at: string }
  /** One captured collection of the copy, with its indexes and options. */
  | { kind: 'copy-collection'; copyId: string; metadata: CollectionMetadata }
  /** Documents of one collection, in the order the copy read them (by _id). */
  | { kind: 'copy-documents'; copyId: string; ns: string; documents: Buffer[] }
  /** The copy is complete; the stream had reached `at` when the last document was read. */
  | { kind: 'copy-end'; copyId: string; at: string }
  /** The change stream's history was lost after `from`: nothing between `from` and the next copy is known. */
  | { kind: 'gap'; from: string; reason: string }
  /** What the source deployment says it is (its replica set or cluster id), sent when capture starts; the archiver records it in the catalog. */
  | { kind: 'source'; deployment: DeploymentIdentity };

export type LogRecordKind = LogRecord['kind'];

export const LOG_RECORD_KINDS: readonly LogRecordKind[] = [
  'event',
  'checkpoint',
  'copy-start',
  'copy-collection',
  'copy-documents',
  'copy-end',
  'gap',
  // Appended last: the Kafka producer thread sends kinds by their index here.
  'source',
];

/** Rough size in bytes, for batching and back-pressure (not an exact encoding size). */
export function approximateRecordBytes(record: LogRecord): number {
  switch (record.kind) {
    case 'event': {
      if (record.encoded) return 100 + record.encoded.avro.length;
      const e = record.event;
      return (
        200 +
        (e.documentKey?.length ?? 0) +
        (e.fullDocument?.length ?? 0) +
        (e.fullDocumentBeforeChange?.length ?? 0) +
        (e.updateDescription?.updatedFields.length ?? 0) +
        (e.operationDescription?.length ?? 0) +
        e.resumeToken.length
      );
    }
    case 'copy-documents':
      return 100 + record.documents.reduce((n, d) => n + d.length, 0);
    default:
      return 200;
  }
}
