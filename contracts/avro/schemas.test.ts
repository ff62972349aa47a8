import avro from 'avsc';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AVRO_SCHEMAS, changeEventSchema, changeEventType, snapshotRecordSchema, snapshotRecordType } from './index.js';
import type { ChangeEvent } from './index.js';

describe('committed .avsc files', () => {
  for (const [file, schema] of Object.entries(AVRO_SCHEMAS)) {
    it(`${file} is exactly what contracts/scripts/generate-avsc.ts writes (run npm run contracts:generate)`, () => {
      const committed = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
      expect(committed).toBe(`${JSON.stringify(schema, null, 2)}\n`);
      // And avsc accepts it as a schema.
      expect(() => avro.Type.forSchema(JSON.parse(committed) as avro.Schema)).not.toThrow();
    });
  }
});

/** The evolution rule (contracts/README.md): append a field, optional, union with "null" first, default null. */
function appendOptionalField<S extends { fields: readonly unknown[] }>(schema: S, name: string): S {
  return { ...schema, fields: [...schema.fields, { name, type: ['null', 'string'], default: null }] };
}

const event: ChangeEvent = {
  id: 'e1',
  seconds: 1714564800,
  increment: 3,
  index: 1,
  wallTimeMs: 1714564800123,
  op: 'update',
  ns: { db: 'shop', coll: 'orders' },
  to: null,
  collectionUUID: Buffer.alloc(16, 7),
  documentKey: Buffer.from([5, 0, 0, 0, 0]),
  fullDocument: null,
  fullDocumentIsLookup: false,
  fullDocumentBeforeChange: null,
  updateDescription: {
    updatedFields: Buffer.from([5, 0, 0, 0, 0]),
    removedFields: ['a.b'],
    truncatedArrays: [{ field: 'arr', newSize: 1 }],
    disambiguatedPaths: null,
  },
  operationDescription: null,
  txn: { lsid: Buffer.from([5, 0, 0, 0, 0]), txnNumber: 12 },
  resumeToken: Buffer.from([5, 0, 0, 0, 0]),
};

/** An Avro object container file in memory, as segments are written. */
async function containerFile(schema: avro.Schema, records: unknown[]): Promise<Buffer> {
  const encoder = new avro.streams.BlockEncoder(schema, { codec: 'deflate' });
  const chunks: Buffer[] = [];
  encoder.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => encoder.on('end', resolve));
  for (const r of records) encoder.write(r);
  encoder.end();
  await ended;
  return Buffer.concat(chunks);
}

/** Reads a container file with a reader schema: the file carries its writer schema, avsc resolves the two. */
async function readContainer(file: Buffer, readerSchema: avro.Schema | avro.Type): Promise<Record<string, unknown>[]> {
  const decoder = new avro.streams.BlockDecoder({ readerSchema });
  const out: Record<string, unknown>[] = [];
  decoder.on('data', (r: Record<string, unknown>) => out.push(r));
  const ended = new Promise((resolve, reject) => {
    decoder.on('end', resolve);
    decoder.on('error', reject);
  });
  decoder.end(file);
  await ended;
  return out;
}

describe('schema evolution: new fields are optional with defaults; old and new readers read each other', () => {
  const v2Schema = appendOptionalField(changeEventSchema, 'origin');
  const v2Type = avro.Type.forSchema(v2Schema as unknown as avro.Schema);

  it('(a) a reader of the current schema reads a file written with v2, skipping the new field', async () => {
    const file = await containerFile(v2Schema as unknown as avro.Schema, [{ ...event, origin: 'replica-2' }]);
    const [read] = await readContainer(file, changeEventType);
    expect(read).not.toHaveProperty('origin');
    expect({ ...read }).toEqual({ ...changeEventType.clone(event) });
    // The same through a resolver on single records (how the Kafka transport reads values).
    const resolver = changeEventType.createResolver(v2Type);
    const decoded = changeEventType.fromBuffer(v2Type.toBuffer({ ...event, origin: 'x' }), resolver) as ChangeEvent;
    expect(decoded.id).toBe('e1');
    expect(decoded.updateDescription?.removedFields).toEqual(['a.b']);
  });

  it('(b) a v2 reader reads a file written with the current schema and gets the default', async () => {
    const file = await containerFile(changeEventSchema as unknown as avro.Schema, [event]);
    const [read] = await readContainer(file, v2Type);
    expect(read?.origin).toBeNull();
    expect(read?.seconds).toBe(1714564800);
    const resolver = v2Type.createResolver(changeEventType);
    expect((v2Type.fromBuffer(changeEventType.toBuffer(event), resolver) as { origin: unknown }).origin).toBeNull();
  });

  it('the same holds for snapshot records', () => {
    const v2 = avro.Type.forSchema(appendOptionalField(snapshotRecordSchema, 'note') as unknown as avro.Schema);
    const rec = { key: Buffer.from([1]), document: Buffer.from([2]) };
    expect((v2.fromBuffer(snapshotRecordType.toBuffer(rec), v2.createResolver(snapshotRecordType)) as { note: unknown }).note).toBeNull();
    const old = snapshotRecordType.fromBuffer(v2.toBuffer({ ...rec, note: 'n' }), snapshotRecordType.createResolver(v2)) as typeof rec;
    expect(Buffer.compare(old.document, rec.document)).toBe(0);
  });

  it('breaking the rule breaks old files: a new field without a default cannot read a current file', () => {
    const bad = avro.Type.forSchema({
      ...changeEventSchema,
      fields: [...changeEventSchema.fields, { name: 'origin', type: 'string' }],
    } as unknown as avro.Schema);
    expect(() => bad.createResolver(changeEventType)).toThrow();
  });
});
