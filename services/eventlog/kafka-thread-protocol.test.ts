import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { KIND_HEADER } from './kafka-record-codec.js';
import { packBatch, unpackBatch } from './kafka-consumer-protocol.js';
import { packMessages, unpackMessages } from './kafka-producer-protocol.js';

describe('producer thread packing', () => {
  it('carries keys, values and kind headers across in order, events without a header', () => {
    const messages = [
      { key: Buffer.from('shop.orders\0k1'), value: Buffer.from([1, 2, 3]) },
      { key: Buffer.from('rewind:checkpoint'), value: Buffer.from('{"x":1}'), headers: { [KIND_HEADER]: Buffer.from('checkpoint') } },
      { key: Buffer.alloc(0), value: Buffer.alloc(0) },
      { key: Buffer.from('rewind:gap'), value: Buffer.from('g'), headers: { [KIND_HEADER]: Buffer.from('gap') } },
    ];
    const packed = packMessages(messages);
    expect(packed.data.byteLength).toBe(messages.reduce((n, m) => n + m.key.length + m.value.length, 0));
    const back = unpackMessages(packed);
    expect(back.map((m) => [m.key.toString('hex'), m.value.toString('hex'), m.headers?.[KIND_HEADER]?.toString()])).toEqual(
      messages.map((m) => [m.key.toString('hex'), m.value.toString('hex'), m.headers?.[KIND_HEADER]?.toString()]),
    );
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
