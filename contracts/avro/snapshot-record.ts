/**
 * One document of a base snapshot. Snapshot files are per namespace and sorted
 * by document key in MongoDB's BSON order (contracts/document-key.ts).
 */
import type { InferAvro } from './infer.js';

export const snapshotRecordSchema = {
  type: 'record',
  name: 'SnapshotRecord',
  namespace: 'dev.rewind',
  doc: 'One document of a base snapshot.',
  fields: [
    { name: 'key', type: 'bytes', doc: 'BSON document { _id: ... }: the document key' },
    { name: 'document', type: 'bytes', doc: 'BSON document, as the source stored it' },
  ],
} as const;

export type SnapshotRecord = InferAvro<typeof snapshotRecordSchema>;
