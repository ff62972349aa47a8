/**
 * One entry of a compaction run: a document event with its `{ _id }` key in
 * front, `[u32 key length][key BSON][ChangeEvent Avro]`, so runs sort and
 * merge on the key without decoding the event.
 */
import { changeEventType } from '../../contracts/avro/index.js';
import type { ChangeEvent } from '../../contracts/avro/change-event.js';

const NO_TOKEN = Buffer.alloc(0);

export function encodeRunRecord(key: Buffer, ev: ChangeEvent): Buffer {
  // Folding needs neither the pre-image, the DDL description, the transaction nor the resume token:
  // leaving them out keeps runs (and the memory buffer) small.
  const slim: ChangeEvent = { ...ev, fullDocumentBeforeChange: null, operationDescription: null, txn: null, resumeToken: NO_TOKEN };
  const body = changeEventType.toBuffer(slim);
  const out = Buffer.allocUnsafe(4 + key.length + body.length);
  out.writeUInt32LE(key.length, 0);
  key.copy(out, 4);
  body.copy(out, 4 + key.length);
  return out;
}

export function runRecordKey(rec: Buffer): Buffer {
  return rec.subarray(4, 4 + rec.readUInt32LE(0));
}

export function runRecordEvent(rec: Buffer): ChangeEvent {
  return changeEventType.fromBuffer(rec.subarray(4 + rec.readUInt32LE(0))) as ChangeEvent;
}
