import { Binary, Int32, Long, Timestamp, deserialize, serialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { describe, expect, it } from 'vitest';
import { changeEventType } from '../../contracts/avro/index.js';
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import { EXACT_BSON } from '../../contracts/document-key.js';
import { forEachElement } from '../../contracts/bson-elements.js';
import { fixturesByGroup, loadCorpus } from '../../test/fixtures/change-events/corpus.js';
import { normalizeFixtureEvents } from '../replay/testing/fixture-events.js';
import { ChangeEventNormalizeError, normalizeChangeEvent, reassembleSplitEvent } from './normalize-event.js';
import { RawChangeEvent } from './raw-change-event.js';

const corpus = loadCorpus();

/** Events this test builds itself (no digit-only names) → the bytes a server would send. */
const raw = (d: Document) => Buffer.from(serialize(d));
const rawEvent = (d: Document) => RawChangeEvent.read(raw(d));

/** bson's own raw decode of the top level: each sub-document as a Buffer of the event's bytes (a second, independent reader). */
const topLevel = (bytes: Buffer) => deserialize(bytes, { raw: true }) as Record<string, unknown>;

/** Field names of a document's bytes, in byte order. */
function names(bytes: Buffer): string[] {
  const out: string[] = [];
  forEachElement(bytes, 0, (_t, s, e) => out.push(bytes.toString('utf8', s, e)));
  return out;
}

describe('normalizeChangeEvent over the documented corpus, fed as the bytes a server sends', () => {
  it('has fixtures to read', () => {
    expect(corpus.length).toBeGreaterThan(0);
  });

  for (const fixture of corpus) {
    it(`${fixture.group}/${fixture.name}: normalizes, keeps every document's bytes, survives the Avro round trip`, () => {
      const events = normalizeFixtureEvents(fixture.events, fixture.options.fullDocument);
      expect(events.length).toBeGreaterThan(0);
      const whole = fixture.events.filter((_e, i) => fixture.eventDocs[i]?.splitEvent === undefined);
      for (const [k, ev] of events.entries()) {
        const back = changeEventType.fromBuffer(changeEventType.toBuffer(ev)) as ChangeEvent;
        expect(back).toEqual(ev);
        expect(changeEventType.toBuffer(back).equals(changeEventType.toBuffer(ev))).toBe(true);
        const bytes = whole[k];
        if (bytes === undefined) continue; // a reassembled split event: checked below
        const doc = deserialize(bytes, EXACT_BSON);
        const top = topLevel(bytes);
        expect(ev.id).toBe((doc._id as { _data: string })._data);
        expect(ev.resumeToken.equals(top._id as Buffer)).toBe(true);
        expect(ev.op).toBe(doc.operationType);
        for (const field of ['documentKey', 'fullDocument', 'fullDocumentBeforeChange', 'operationDescription'] as const) {
          const value = top[field];
          if (value === undefined || value === null) expect(ev[field]).toBeNull();
          // The very bytes of the event: nothing decoded and encoded again.
          else expect((value as Buffer).equals(ev[field] as Buffer), field).toBe(true);
        }
        if (top.updateDescription !== undefined) {
          const ud = topLevel(top.updateDescription as Buffer);
          expect(ev.updateDescription?.updatedFields.equals(ud.updatedFields as Buffer)).toBe(true);
          expect(ev.updateDescription?.removedFields).toEqual((doc.updateDescription as Document).removedFields);
        }
        if (doc.lsid !== undefined) expect(ev.txn?.txnNumber).toBe(Number((doc.txnNumber as Long).toString()));
        expect(ev.fullDocumentIsLookup).toBe(ev.op === 'update' && ev.fullDocument !== null && fixture.options.fullDocument === 'updateLookup');
      }
    });
  }

  it('keeps digit-only field names where the server put them (a decode + encode anywhere would move them first)', () => {
    const byName = new Map(fixturesByGroup('field-order').map((f) => [f.name, f]));
    const one = (name: string) => {
      const f = byName.get(name);
      if (!f) throw new Error(`no fixture ${name}`);
      const [ev] = normalizeFixtureEvents(f.events, f.options.fullDocument);
      if (!ev) throw new Error(`${name}: no event`);
      return { f, ev };
    };
    const insert = one('insert-digit-names');
    expect(names(insert.ev.fullDocument as Buffer)).toEqual(['_id', 'b', '10', '2', 'a', 'list']);
    expect(insert.ev.fullDocument?.equals(insert.f.afterBytes as Buffer)).toBe(true);
    const update = one('update-set-digit-names');
    expect(names(update.ev.updateDescription?.updatedFields as Buffer)).toEqual(['10', '2']);
    const del = one('delete-digit-names-pre-image');
    expect(names(del.ev.fullDocumentBeforeChange as Buffer)).toEqual(['_id', '2', '10', 'name']);
    expect(del.ev.fullDocumentBeforeChange?.equals(del.f.beforeBytes as Buffer)).toBe(true);
    const replace = one('replace-digit-names-key');
    const key = replace.ev.documentKey as Buffer;
    expect(names(topLevel(key)._id as Buffer)).toEqual(['2', '1']);
    expect(replace.ev.fullDocument?.equals(replace.f.afterBytes as Buffer)).toBe(true);
    expect(replace.ev.fullDocumentBeforeChange?.equals(replace.f.beforeBytes as Buffer)).toBe(true);
    // What the old path did (decode into an object, serialize again) gives other bytes: this test would catch it.
    expect(Buffer.from(serialize(deserialize(insert.ev.fullDocument as Buffer, EXACT_BSON))).equals(insert.ev.fullDocument as Buffer)).toBe(false);
  });
});

const base = {
  _id: { _data: '8200000001000000012B0229296E04' },
  operationType: 'update',
  clusterTime: new Timestamp({ t: 1_700_000_000, i: 7 }),
  wallTime: new Date(1_700_000_000_123),
  ns: { db: 'shop', coll: 'orders' },
  documentKey: { _id: new Int32(1) },
  updateDescription: { updatedFields: { a: new Long(5) }, removedFields: ['b'], truncatedArrays: [{ field: 'c', newSize: new Int32(1) }] },
};

function expectError(fn: () => unknown, code: string, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ChangeEventNormalizeError);
    const err = e as ChangeEventNormalizeError;
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    expect(err.message).toContain(err.eventId);
    return;
  }
  throw new Error('expected an error');
}

describe('normalizeChangeEvent', () => {
  it('maps position, wall time, lookup flag and transaction identity', () => {
    const lsid = { id: new Binary(Buffer.alloc(16, 1), 4), uid: new Binary(Buffer.alloc(32, 2), 0) };
    const ev = normalizeChangeEvent(raw({ ...base, fullDocument: { _id: new Int32(1), a: new Long(5) }, lsid, txnNumber: new Long(9) }),
      { index: 3, fullDocumentMode: 'updateLookup' },
    );
    expect([ev.seconds, ev.increment, ev.index, ev.wallTimeMs]).toEqual([1_700_000_000, 7, 3, 1_700_000_000_123]);
    expect(ev.fullDocumentIsLookup).toBe(true);
    expect(ev.txn?.txnNumber).toBe(9);
    expect(ev.txn?.lsid.equals(Buffer.from(serialize(lsid)))).toBe(true);
    expect(ev.updateDescription?.truncatedArrays).toEqual([{ field: 'c', newSize: 1 }]);
    const post = normalizeChangeEvent(raw({ ...base, fullDocument: { _id: new Int32(1) } }), { index: 0, fullDocumentMode: 'required' });
    expect(post.fullDocumentIsLookup).toBe(false);
  });

  it('keeps the resume token bson’s bytes, whatever its shape', () => {
    for (const _id of [{ _data: '8263A0' }, { _data: 'é€😀 — not hex' }, { _data: '' }, { _data: 'A1', extra: new Int32(2) }, { _typeBits: new Binary(Buffer.from([1])), _data: 'A2' }]) {
      const ev = normalizeChangeEvent(raw({ ...base, _id }), { index: 0, fullDocumentMode: 'default' });
      expect(ev.resumeToken.equals(Buffer.from(serialize(_id)))).toBe(true);
      expect(ev.id).toBe(_id._data);
    }
  });

  it('refuses unknown operation types and malformed events, naming the event and field', () => {
    expectError(() => normalizeChangeEvent(raw({ ...base, operationType: 'shardCollection' }), { index: 0, fullDocumentMode: 'default' }), 'UNKNOWN_OPERATION_TYPE', 'operationType');
    expectError(() => normalizeChangeEvent(raw({ ...base, clusterTime: 5 }), { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'clusterTime');
    expectError(() => normalizeChangeEvent(raw({ ...base, documentKey: undefined }), { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'documentKey');
    expectError(() => normalizeChangeEvent(raw({ ...base, updateDescription: undefined }), { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'updateDescription');
    expectError(
      () => normalizeChangeEvent(raw({ ...base, updateDescription: { ...base.updateDescription, truncatedArrays: [{ field: 'c', newSize: -1 }] } }), { index: 0, fullDocumentMode: 'default' }),
      'MALFORMED_CHANGE_EVENT',
      'updateDescription.truncatedArrays.0.newSize',
    );
    expectError(() => normalizeChangeEvent(raw({ ...base, operationType: 'rename' }), { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'to');
    expectError(() => normalizeChangeEvent(raw({ ...base, splitEvent: { fragment: 1, of: 2 } }), { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'splitEvent');
    expect(() => normalizeChangeEvent(raw({ operationType: 'insert' }), { index: 0, fullDocumentMode: 'default' })).toThrow(/_id._data/);
  });

  it('reassembles split fragments in order and refuses missing, duplicate or out-of-order ones', () => {
    const { updateDescription, ...head } = base;
    const f1 = { ...head, _id: { _data: 'A1' }, splitEvent: { fragment: new Int32(1), of: new Int32(2) } };
    const f2 = { _id: { _data: 'A2' }, splitEvent: { fragment: new Int32(2), of: new Int32(2) }, updateDescription };
    const merged = reassembleSplitEvent([f1, f2].map(rawEvent));
    expect(names(merged.bytes)).toEqual(['_id', 'operationType', 'clusterTime', 'wallTime', 'ns', 'documentKey', 'updateDescription']);
    expect(merged.tokenData()).toBe('A2');
    // Each field's bytes are the fragment's own.
    expect(merged.value('updateDescription').equals(topLevel(raw(f2)).updateDescription as Buffer)).toBe(true);
    expect(normalizeChangeEvent(merged, { index: 0, fullDocumentMode: 'default' }).updateDescription?.removedFields).toEqual(['b']);
    expectError(() => reassembleSplitEvent([f1].map(rawEvent)), 'BAD_SPLIT_EVENT', 'splitEvent');
    expectError(() => reassembleSplitEvent([f2, f1].map(rawEvent)), 'BAD_SPLIT_EVENT', 'fragment 2 splitEvent.fragment');
    expectError(() => reassembleSplitEvent([f1, f1].map(rawEvent)), 'BAD_SPLIT_EVENT', 'fragment 1 splitEvent.fragment');
    const f3 = { ...f2, splitEvent: { fragment: new Int32(3), of: new Int32(2) } };
    expectError(() => reassembleSplitEvent([f1, f3].map(rawEvent)), 'BAD_SPLIT_EVENT', 'fragment 3 splitEvent.fragment');
    const f2of3 = { ...f2, splitEvent: { fragment: new Int32(2), of: new Int32(3) } };
    expectError(() => reassembleSplitEvent([f1, f2of3].map(rawEvent)), 'BAD_SPLIT_EVENT', 'fragment 2 splitEvent.of');
    expectError(() => reassembleSplitEvent([f1, { ...f2, ns: { db: 'x', coll: 'y' } }].map(rawEvent)), 'BAD_SPLIT_EVENT', 'ns');
  });
});
