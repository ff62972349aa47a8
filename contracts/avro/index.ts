import avro from 'avsc';
import { changeEventSchema } from './change-event.js';
import { snapshotRecordSchema } from './snapshot-record.js';

export * from './change-event.js';
export * from './snapshot-record.js';
export type { InferAvro } from './infer.js';

/** The .avsc files generated from these constants; a test keeps them in step. */
export const AVRO_SCHEMAS = {
  'change-event.avsc': changeEventSchema,
  'snapshot-record.avsc': snapshotRecordSchema,
} as const;

export const changeEventType = avro.Type.forSchema(changeEventSchema as unknown as avro.Schema);
export const snapshotRecordType = avro.Type.forSchema(snapshotRecordSchema as unknown as avro.Schema);
