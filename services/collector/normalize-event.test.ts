import { Binary, EJSON, Int32, Long, Timestamp, deserialize, serialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { describe, expect, it } from 'vitest';
import { changeEventType } from '../../contracts/avro/index.js';
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import { EXACT_BSON } from '../../contracts/document-key.js';
import { loadCorpus } from '../../test/fixtures/change-events/corpus.js';
import { ChangeEventNormalizeError, normalizeChangeEvent, reassembleSplitEvent } from './normalize-event.js';

const corpus = loadCorpus();

/** Normalizes a fixture's raw events: split fragments merged, index counted per clusterTime. */
function normalizeFixtureEvents(events: Document[], mode: Parameters<typeof normalizeChangeEvent>[1]['fullDocumentMode']): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  let fragments: Document[] = [];
  let last: { s: number; i: number; n: number } | undefined;
  for (const raw of events) {
    let whole = raw;
    if (raw.splitEvent !== undefined) {
      fragments.push(raw);
      const split = raw.splitEvent as { fragment: Int32; of: Int32 };
      if (Number(split.fragment.valueOf()) < Number(split.of.valueOf())) continue;
      whole = reassembleSplitEvent(fragments);
      fragments = [];
    }
    const ct = whole.clusterTime as Timestamp;
    const s = ct.high >>> 0;
    const i = ct.low >>> 0;
    const n = last && last.s === s && last.i === i ? last.n + 1 : 0;
    last = { s, i, n };
    out.push(normalizeChangeEvent(whole, { index: n, fullDocumentMode: mode }));
  }
  return out;
}

describe('normalizeChangeEvent over the documented corpus', () => {
  it('has fixtures to read', () => {
    expect(corpus.length).toBeGreaterThan(0);
  });

  for (const fixture of corpus) {
    it(`${fixture.group}/${fixture.name}: normalizes, keeps every byte, survives the Avro round trip`, () => {
      const events = normalizeFixtureEvents(fixture.events, fixture.options.fullDocument);
      expect(events.length).toBeGreaterThan(0);
      const raws = fixture.events.filter((e) => e.splitEvent === undefined);
      for (const [k, ev] of events.entries()) {
        const back = changeEventType.fromBuffer(changeEventType.toBuffer(ev)) as ChangeEvent;
        expect(back).toEqual(ev);
        expect(changeEventType.toBuffer(back).equals(changeEventType.toBuffer(ev))).toBe(true);
        const raw = raws[k];
        if (raw === undefined) continue; // a reassembled split event: checked below
        expect(ev.id).toBe((raw._id as { _data: string })._data);
        expect(ev.resumeToken.equals(Buffer.from(serialize(raw._id as Document)))).toBe(true);
        expect(ev.op).toBe(raw.operationType);
        for (const field of ['documentKey', 'fullDocument', 'fullDocumentBeforeChange', 'operationDescription'] as const) {
          const value = raw[field] as Document | null | undefined;
          if (value === undefined || value === null) expect(ev[field]).toBeNull();
          else expect(Buffer.from(serialize(value)).equals(ev[field] as Buffer)).toBe(true);
        }
        const ud = raw.updateDescription as Document | undefined;
        if (ud) {
          expect(ev.updateDescription?.updatedFields.equals(Buffer.from(serialize(ud.updatedFields as Document)))).toBe(true);
          // Types inside survive: decoding the bytes with exact options gives the raw values back.
          expect(EJSON.stringify(deserialize(ev.updateDescription?.updatedFields as Buffer, EXACT_BSON), { relaxed: false })).toBe(
            EJSON.stringify(ud.updatedFields, { relaxed: false }),
          );
          expect(ev.updateDescription?.removedFields).toEqual(ud.removedFields);
        }
        if (raw.lsid !== undefined) expect(ev.txn?.txnNumber).toBe(Number((raw.txnNumber as Long).toString()));
        expect(ev.fullDocumentIsLookup).toBe(ev.op === 'update' && ev.fullDocument !== null && fixture.options.fullDocument === 'updateLookup');
      }
    });
  }
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
    const ev = normalizeChangeEvent(
      { ...base, fullDocument: { _id: new Int32(1), a: new Long(5) }, lsid, txnNumber: new Long(9) },
      { index: 3, fullDocumentMode: 'updateLookup' },
    );
    expect([ev.seconds, ev.increment, ev.index, ev.wallTimeMs]).toEqual([1_700_000_000, 7, 3, 1_700_000_000_123]);
    expect(ev.fullDocumentIsLookup).toBe(true);
    expect(ev.txn?.txnNumber).toBe(9);
    expect(ev.txn?.lsid.equals(Buffer.from(serialize(lsid)))).toBe(true);
    expect(ev.updateDescription?.truncatedArrays).toEqual([{ field: 'c', newSize: 1 }]);
    const post = normalizeChangeEvent({ ...base, fullDocument: { _id: new Int32(1) } }, { index: 0, fullDocumentMode: 'required' });
    expect(post.fullDocumentIsLookup).toBe(false);
  });

  it('keeps the resume token bson’s bytes, whatever its shape', () => {
    for (const _id of [{ _data: '8263A0' }, { _data: 'é€😀 — not hex' }, { _data: '' }, { _data: 'A1', extra: new Int32(2) }, { _typeBits: new Binary(Buffer.from([1])), _data: 'A2' }]) {
      const ev = normalizeChangeEvent({ ...base, _id }, { index: 0, fullDocumentMode: 'default' });
      expect(ev.resumeToken.equals(Buffer.from(serialize(_id)))).toBe(true);
      expect(ev.id).toBe(_id._data);
    }
  });

  it('refuses unknown operation types and malformed events, naming the event and field', () => {
    expectError(() => normalizeChangeEvent({ ...base, operationType: 'shardCollection' }, { index: 0, fullDocumentMode: 'default' }), 'UNKNOWN_OPERATION_TYPE', 'operationType');
    expectError(() => normalizeChangeEvent({ ...base, clusterTime: 5 }, { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'clusterTime');
    expectError(() => normalizeChangeEvent({ ...base, documentKey: undefined }, { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'documentKey');
    expectError(() => normalizeChangeEvent({ ...base, updateDescription: undefined }, { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'updateDescription');
    expectError(
      () => normalizeChangeEvent({ ...base, updateDescription: { ...base.updateDescription, truncatedArrays: [{ field: 'c', newSize: -1 }] } }, { index: 0, fullDocumentMode: 'default' }),
      'MALFORMED_CHANGE_EVENT',
      'updateDescription.truncatedArrays.0.newSize',
    );
    expectError(() => normalizeChangeEvent({ ...base, operationType: 'rename' }, { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'to');
    expectError(() => normalizeChangeEvent({ ...base, splitEvent: { fragment: 1, of: 2 } }, { index: 0, fullDocumentMode: 'default' }), 'MALFORMED_CHANGE_EVENT', 'splitEvent');
    expect(() => normalizeChangeEvent({ operationType: 'insert' }, { index: 0, fullDocumentMode: 'default' })).toThrow(/_id._data/);
  });

  it('reassembles split fragments in order and refuses missing, duplicate or out-of-order ones', () => {
    const { updateDescription, ...head } = base;
    const f1 = { ...head, _id: { _data: 'A1' }, splitEvent: { fragment: new Int32(1), of: new Int32(2) } };
    const f2 = { _id: { _data: 'A2' }, splitEvent: { fragment: new Int32(2), of: new Int32(2) }, updateDescription };
    const merged = reassembleSplitEvent([f1, f2]);
    expect(Object.keys(merged)).toEqual(['_id', 'operationType', 'clusterTime', 'wallTime', 'ns', 'documentKey', 'updateDescription']);
    expect(merged._id).toEqual({ _data: 'A2' });
    expect(normalizeChangeEvent(merged, { index: 0, fullDocumentMode: 'default' }).updateDescription?.removedFields).toEqual(['b']);
    expectError(() => reassembleSplitEvent([f1]), 'BAD_SPLIT_EVENT', 'splitEvent');
    expectError(() => reassembleSplitEvent([f2, f1]), 'BAD_SPLIT_EVENT', 'fragment 2 splitEvent.fragment');
    expectError(() => reassembleSplitEvent([f1, f1]), 'BAD_SPLIT_EVENT', 'fragment 1 splitEvent.fragment');
    const f3 = { ...f2, splitEvent: { fragment: new Int32(3), of: new Int32(2) } };
    expectError(() => reassembleSplitEvent([f1, f3]), 'BAD_SPLIT_EVENT', 'fragment 3 splitEvent.fragment');
    const f2of3 = { ...f2, splitEvent: { fragment: new Int32(2), of: new Int32(3) } };
    expectError(() => reassembleSplitEvent([f1, f2of3]), 'BAD_SPLIT_EVENT', 'fragment 2 splitEvent.of');
    expectError(() => reassembleSplitEvent([f1, { ...f2, ns: { db: 'x', coll: 'y' } }]), 'BAD_SPLIT_EVENT', 'ns');
  });
});
