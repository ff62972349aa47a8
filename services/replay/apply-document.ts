/**
 * What one document event (insert, replace, update, delete) does to the prior
 * state of its document. Shared by the in-memory replay and by compaction, so
 * both fold a key's history the same way.
 */
import type { ChangeEvent, UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { formatPosition } from '../../contracts/position.js';
import { ReplayError } from './errors.js';
import { idKeyOf } from './bson-bytes.js';
import { UpdateApplyError, applyUpdateDescription } from './apply-update.js';
import { eventPosition } from './event-position.js';

export type DocumentOutcome =
  | { kind: 'put'; doc: Buffer }
  | { kind: 'delete' }
  /** The prior state is unknown: history is missing. The document's state after it is unknown too (absent). */
  | { kind: 'gap'; reason: string };

export const DOCUMENT_OPS = new Set(['insert', 'replace', 'update', 'delete']);

export function isDocumentEvent(ev: ChangeEvent): boolean {
  // Comparisons, not DOCUMENT_OPS.has: the op strings are the schema's symbols, compared by identity.
  const op = ev.op;
  return op === 'update' || op === 'insert' || op === 'delete' || op === 'replace';
}

function malformed(ev: ChangeEvent, field: string, reason: string): ReplayError {
  return new ReplayError('REPLAY_MALFORMED_EVENT', `event ${ev.id} at ${formatPosition(eventPosition(ev))}: ${field} ${reason}`, {
    context: { eventId: ev.id, field, op: ev.op },
  });
}

/** The `{ _id }` key bytes that identify the event's document in its namespace. */
export function documentKeyOf(ev: ChangeEvent): Buffer {
  const source = ev.documentKey ?? (ev.op === 'insert' || ev.op === 'replace' ? ev.fullDocument : null);
  if (source === null) throw malformed(ev, 'documentKey', 'is missing');
  const key = idKeyOf(source);
  if (key === undefined) throw malformed(ev, 'documentKey', 'has no _id');
  return key;
}

/**
 * What a document event does, knowing only whether its document exists:
 * 'put' its fullDocument, 'update' the prior with its updateDescription,
 * 'delete', or a 'gap' (the prior state is unknown: history is missing).
 * Returns a word, not an object: the in-memory replay asks once per event.
 */
export type DocumentAction = 'put' | 'update' | 'delete' | 'gap';

export function documentAction(priorExists: boolean, ev: ChangeEvent): DocumentAction {
  switch (ev.op) {
    case 'insert':
    case 'replace':
      // An insert over an existing document is an upsert: the initial copy may already hold it.
      if (ev.fullDocument === null) throw malformed(ev, 'fullDocument', `is missing on a ${ev.op} event`);
      return 'put';
    case 'update':
      // A post-image (not an updateLookup result) is the document right after this event: exact.
      if (ev.fullDocument !== null && !ev.fullDocumentIsLookup) return 'put';
      if (!priorExists) return 'gap';
      if (ev.updateDescription === null) throw malformed(ev, 'updateDescription', 'is missing on an update without a post-image');
      return 'update';
    case 'delete':
      return priorExists ? 'delete' : 'gap';
    default:
      throw malformed(ev, 'op', `${ev.op} is not a document operation`);
  }
}

/** Why a 'gap' action is one. */
export function gapReason(ev: ChangeEvent): string {
  return `${ev.op} ${ev.id} at ${formatPosition(eventPosition(ev))} meets a document whose prior state is unknown`;
}

/** An updateDescription that does not fit the prior document, as the replay reports it. */
export function inconsistentUpdate(ev: ChangeEvent, e: UpdateApplyError): ReplayError {
  return new ReplayError('REPLAY_INCONSISTENT', `event ${ev.id} at ${formatPosition(eventPosition(ev))}: ${e.message}`, {
    cause: e,
    context: { eventId: ev.id, field: `updateDescription ${e.path}` },
  });
}

export function applyDocumentEvent(prior: Buffer | undefined, ev: ChangeEvent): DocumentOutcome {
  switch (documentAction(prior !== undefined, ev)) {
    case 'put':
      return { kind: 'put', doc: ev.fullDocument as Buffer };
    case 'gap':
      return { kind: 'gap', reason: gapReason(ev) };
    case 'delete':
      return { kind: 'delete' };
    case 'update':
      try {
        return { kind: 'put', doc: applyUpdateDescription(prior as Buffer, ev.updateDescription as UpdateDescriptionRecord) };
      } catch (e) {
        if (e instanceof UpdateApplyError) throw inconsistentUpdate(ev, e);
        throw e;
      }
  }
}
