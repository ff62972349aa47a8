import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../contracts/index.js';
import { bsonBytes, makeEvent } from '../archive/testing/samples.js';
import { KIND_HEADER, decodeRecord, encodeRecord } from './kafka-record-codec.js';
import { packBatch, unpackBatch } from './kafka-consumer-protocol.js';
import { unpackMessages } from './kafka-producer-protocol.js';
import { packRecords } from './kafka-record-packer.js';
import type { LogRecord } from './log-record.js';

describe('producer thread packing', () => {
  // Two namespaces, so that keys differ in more than the document key.
  const event = (seconds: number, id: number, payload = 'x'): ChangeEvent =>
    makeEvent(id, { seconds, coll: id % 2 === 0 ? 'orders' : 'customers', document: bsonBytes({ _id: id, payload }) });

  it('carries the bytes encodeRecord makes of each record, in order, events without a header', () => {
    const records: LogRecord[] = [
      { kind: 'event', event: event(1, 1) },
      { kind: 'checkpoint', checkpoint: { resumeToken: { _data: '82' }, position: '1.1.0', durable: '1.1.0' } },
      { kind: 'event', event: { ...event(2, 2), documentKey: null, op: 'dropDatabase', ns: { db: 'shop', coll: null } } },
      // Larger than the first guess at a publish's size: the buffer grows mid-record.
      { kind: 'event', event: event(3, 3, 'y'.repeat(300_000)) },
      { kind: 'event', event: event(4, 4) },
      { kind: 'gap', from: '4.1.0', reason: 'history lost' },
    ];
    // Twice: the second publish starts from the size the first one measured.
    for (let round = 0; round < 2; round++) {
      const back = unpackMessages(packRecords(records));
      const expected = records.map(encodeRecord);
      expect(back.map((m) => [m.key.toString('hex'), m.value.toString('hex'), m.headers?.[KIND_HEADER]?.toString()])).toEqual(
        expected.map((m) => [m.key.toString('hex'), m.value.toString('hex'), m.headers?.[KIND_HEADER]?.toString()]),
      );
    }
  });

  it('sends an event that arrived encoded with the same bytes', () => {
    const first = encodeRecord({ kind: 'event', event: event(5, 5) });
    const relayed = decodeRecord(first);
    const [again] = unpackMessages(packRecords([relayed]));
    expect(again?.value.equals(first.value)).toBe(true);
    expect(again?.key.equals(first.key)).toBe(true);
  });
});

describe('consumer thread packing', () => {
  it('carries values, missing values, kind headers and offsets across in order', () => {
    const messages = [
      { value: Buffer.from([9, 8, 7]), offset: '10' },
      { value: null, offset: '11' },
      { value: Buffer.from('cp'), offset: '13', headers: { [KIND_HEADER]: Buffer.from('checkpoint') } },
      { value: Buffer.alloc(0), offset: '14', headers: { [KIND_HEADER]: 'gap' } },
    ];
    const back = unpackBatch(packBatch(messages));
    expect(back.map((m) => [m.value?.toString('hex') ?? null, m.offset, m.headers[KIND_HEADER]?.toString()])).toEqual([
      ['090807', '10', undefined],
      [null, '11', undefined],
      [Buffer.from('cp').toString('hex'), '13', 'checkpoint'],
      ['', '14', 'gap'],
    ]);
  });
});
