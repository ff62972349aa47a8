import { Buffer } from 'node:buffer';
import { serialize } from '../../contracts/bson.js';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../contracts/index.js';
import { EmbeddedLog } from './embedded-log.js';
import { decodeRecord, encodeRecord, eventKey, KIND_HEADER } from './kafka-record-codec.js';
import type { LogRecord } from './log-record.js';

function event(seconds: number, index: number, id: number): ChangeEvent {
  return {
    id: `tok-${seconds}-${index}`,
    seconds,
    increment: 1,
    index,
    wallTimeMs: seconds * 1000,
    op: 'insert',
    ns: { db: 'shop', coll: 'orders' },
    to: null,
    collectionUUID: null,
    documentKey: Buffer.from(serialize({ _id: id })),
    fullDocument: Buffer.from(serialize({ _id: id, n: 1.5 })),
    fullDocumentIsLookup: false,
    fullDocumentBeforeChange: null,
    updateDescription: null,
    operationDescription: null,
    txn: null,
    resumeToken: Buffer.from(serialize({ _data: `82${seconds}` })),
  };
}

describe('embedded log', () => {
  it('delivers publishes in order, one delivery per publish', async () => {
    const log = new EmbeddedLog();
    await log.producer.publish([{ kind: 'event', event: event(1, 0, 1) }]);
    await log.producer.publish([
      { kind: 'event', event: event(2, 0, 2) },
      { kind: 'checkpoint', checkpoint: { resumeToken: { _data: '82' }, position: '2.1.0', durable: '2.1.0' } },
    ]);
    const a = await log.consumer.poll(0);
    const b = await log.consumer.poll(0);
    expect(a?.records.map((r) => r.kind)).toEqual(['event']);
    expect(b?.records.map((r) => r.kind)).toEqual(['event', 'checkpoint']);
    expect(await log.consumer.poll(0)).toBeNull();
  });

  it('holds the producer back while the consumer is behind', async () => {
    const log = new EmbeddedLog({ maxPendingBytes: 1000 });
    const big: LogRecord = { kind: 'copy-documents', copyId: 'c', ns: 'a.b', documents: [Buffer.alloc(900)] };
    await log.producer.publish([big]);
    let second = false;
    const p = log.producer.publish([big]).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(second).toBe(false);
    expect(await log.consumer.poll(0)).not.toBeNull();
    await p;
    expect(second).toBe(true);
  });

  it('wakes a waiting poll on publish and ends after the producer closes', async () => {
    const log = new EmbeddedLog();
    const started = Date.now();
    const waiting = log.consumer.poll(5000);
    await log.producer.publish([{ kind: 'gap', from: '1.1.0', reason: 'test' }]);
    expect((await waiting)?.records[0]?.kind).toBe('gap');
    expect(Date.now() - started).toBeLessThan(2000);
    await log.producer.close();
    expect(log.ended).toBe(true);
    await expect(log.producer.publish([{ kind: 'gap', from: '1.1.0', reason: 'x' }])).rejects.toMatchObject({ code: 'EVENTLOG_CLOSED' });
  });
});

describe('Kafka record codec', () => {
  it('round-trips every record kind, events as Avro', () => {
    const records: LogRecord[] = [
      { kind: 'event', event: event(5, 2, 7) },
      { kind: 'checkpoint', checkpoint: { resumeToken: { _data: '8200' }, position: '5.1.2', durable: '5.1.2' } },
      { kind: 'copy-start', copyId: 'x', at: '4.1.0' },
      { kind: 'copy-collection', copyId: 'x', metadata: { ns: 'shop.orders', indexes: [{ v: 2, key: { _id: 1 }, name: '_id_' }], options: {} } },
      { kind: 'copy-documents', copyId: 'x', ns: 'shop.orders', documents: [Buffer.from(serialize({ _id: 1 })), Buffer.from(serialize({ _id: 2 }))] },
      { kind: 'copy-end', copyId: 'x', at: '6.1.0' },
      { kind: 'gap', from: '3.1.0', reason: 'history lost' },
    ];
    for (const r of records) {
      const m = encodeRecord(r);
      expect(m.headers?.[KIND_HEADER]?.toString()).toBe(r.kind === 'event' ? undefined : r.kind);
      const back = decodeRecord(m);
      if (r.kind === 'event' && back.kind === 'event') {
        // Events stay encoded; reading `event` decodes them.
        expect(back.encoded?.avro.equals(m.value)).toBe(true);
        expect(back.event).toEqual(r.event);
      } else {
        expect(back).toEqual(r);
      }
    }
  });

  it('reads an encoded event’s head without decoding its documents, and re-publishes the same bytes', () => {
    const e = { ...event(7, 3, 9), op: 'rename' as const, to: { db: 'shop', coll: 'archive' } };
    const m = encodeRecord({ kind: 'event', event: e });
    const back = decodeRecord(m);
    if (back.kind !== 'event') throw new Error('not an event');
    expect(back.encoded?.head).toMatchObject({ id: e.id, seconds: 7, increment: 1, index: 3, op: 'rename', ns: e.ns, to: e.to });
    const again = encodeRecord(back);
    expect(again.value.equals(m.value)).toBe(true);
    expect(again.key.equals(m.key)).toBe(true);
  });

  it('keys an event by namespace and document key', () => {
    const a = eventKey(event(1, 0, 7));
    const b = eventKey(event(9, 3, 7));
    const c = eventKey(event(1, 0, 8));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('reads a message without a kind header as an event, also one written with the header', () => {
    const m = encodeRecord({ kind: 'event', event: event(1, 0, 1) });
    expect(decodeRecord({ value: m.value, headers: { [KIND_HEADER]: Buffer.from('event') } }).kind).toBe('event');
    expect(decodeRecord({ value: m.value }).kind).toBe('event');
  });

  it('refuses an unknown kind header, a control record without one, or a corrupt value', () => {
    const m = encodeRecord({ kind: 'event', event: event(1, 0, 1) });
    expect(() => decodeRecord({ value: m.value, headers: { [KIND_HEADER]: Buffer.from('evnt') } })).toThrow(/rewind-kind/);
    const gap = encodeRecord({ kind: 'gap', from: '3.1.0', reason: 'history lost' });
    expect(() => decodeRecord({ value: gap.value, headers: {} })).toThrow();
    expect(() => decodeRecord({ value: m.value.subarray(0, 10), headers: m.headers })).toThrow();
    // Cut anywhere, or with bytes after it, the value is not one whole event.
    expect(() => decodeRecord({ value: m.value.subarray(0, m.value.length - 1), headers: m.headers })).toThrow(/truncated/);
    expect(() => decodeRecord({ value: Buffer.concat([m.value, Buffer.from([0])]), headers: m.headers })).toThrow(/after the Avro/);
    const badOp = encodeRecord({ kind: 'event', event: { ...event(1, 0, 1), op: 'explode' as ChangeEvent['op'] } });
    expect(() => decodeRecord(badOp)).toThrow(/unknown operation/);
  });
});
