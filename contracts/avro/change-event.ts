/**
 * The change event: one normalized change of the source, as the event log and
 * segments carry it. Documents are raw BSON bytes, so every BSON type survives
 * byte for byte. Evolution rule (contracts/README.md): a new field is appended
 * as optional — a union with "null" first and `default: null` — so that a
 * reader of the new schema reads old files, and an old reader reads new files
 * (Avro schema resolution skips the writer's fields the reader does not know).
 */
import type { InferAvro } from './infer.js';

export const namespaceSchema = {
  type: 'record',
  name: 'Namespace',
  namespace: 'dev.rewind',
  fields: [
    { name: 'db', type: 'string' },
    // null for database-level events (dropDatabase).
    { name: 'coll', type: ['null', 'string'], default: null },
  ],
} as const;

export const OPERATION_TYPES = [
  'insert',
  'update',
  'replace',
  'delete',
  'drop',
  'rename',
  'dropDatabase',
  'create',
  'createIndexes',
  'dropIndexes',
  'modify',
  'invalidate',
] as const;

export const changeEventSchema = {
  type: 'record',
  name: 'ChangeEvent',
  namespace: 'dev.rewind',
  doc: 'One normalized MongoDB change event.',
  fields: [
    { name: 'id', type: 'string', doc: 'Stable across re-delivery: the resume token data.' },
    { name: 'seconds', type: 'long', doc: 'clusterTime seconds' },
    { name: 'increment', type: 'long', doc: 'clusterTime increment' },
    { name: 'index', type: 'int', doc: 'order among the events sharing one clusterTime' },
    { name: 'wallTimeMs', type: ['null', 'long'], default: null },
    { name: 'op', type: 'string', doc: 'operationType; one of OPERATION_TYPES' },
    { name: 'ns', type: namespaceSchema },
    { name: 'to', type: ['null', 'dev.rewind.Namespace'], default: null, doc: 'rename target' },
    { name: 'collectionUUID', type: ['null', 'bytes'], default: null },
    { name: 'documentKey', type: ['null', 'bytes'], default: null, doc: 'BSON document' },
    { name: 'fullDocument', type: ['null', 'bytes'], default: null, doc: 'BSON document' },
    {
      name: 'fullDocumentIsLookup',
      type: 'boolean',
      default: false,
      doc: 'true when fullDocument came from updateLookup: a hint, never truth',
    },
    { name: 'fullDocumentBeforeChange', type: ['null', 'bytes'], default: null, doc: 'BSON pre-image' },
    {
      name: 'updateDescription',
      default: null,
      type: [
        'null',
        {
          type: 'record',
          name: 'UpdateDescription',
          fields: [
            { name: 'updatedFields', type: 'bytes', doc: 'BSON document; keys are (dotted) paths' },
            { name: 'removedFields', type: { type: 'array', items: 'string' } },
            {
              name: 'truncatedArrays',
              type: {
                type: 'array',
                items: {
                  type: 'record',
                  name: 'TruncatedArray',
                  fields: [
                    { name: 'field', type: 'string' },
                    { name: 'newSize', type: 'int' },
                  ],
                },
              },
            },
            { name: 'disambiguatedPaths', type: ['null', 'bytes'], default: null, doc: 'BSON document' },
          ],
        },
      ],
    },
    { name: 'operationDescription', type: ['null', 'bytes'], default: null, doc: 'BSON; DDL details' },
    {
      name: 'txn',
      default: null,
      type: [
        'null',
        {
          type: 'record',
          name: 'TransactionId',
          fields: [
            { name: 'lsid', type: 'bytes', doc: 'BSON document' },
            { name: 'txnNumber', type: 'long' },
          ],
        },
      ],
    },
    { name: 'resumeToken', type: 'bytes', doc: 'BSON document: the event _id' },
  ],
} as const;

export type NamespaceRecord = InferAvro<typeof namespaceSchema>;
export type OperationType = (typeof OPERATION_TYPES)[number];
/** The record as Avro stores it. `op` is checked against OPERATION_TYPES by readers. */
export type ChangeEventRecord = InferAvro<typeof changeEventSchema>;
export type ChangeEvent = Omit<ChangeEventRecord, 'op' | 'to'> & { op: OperationType; to: NamespaceRecord | null };
export type UpdateDescriptionRecord = NonNullable<ChangeEvent['updateDescription']>;
