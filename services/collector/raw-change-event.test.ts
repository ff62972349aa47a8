/**
 * The capture path's fast readers agree with the general ones: strings read
 * without a decoder call, strings remembered by their bytes (RecentStrings),
 * int64 dates without a BigInt, and the namespace filter's remembered answers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Long, deserialize, serialize } from '../../contracts/bson.js';
import { stringValue } from '../../contracts/bson-elements.js';
import { NamespaceFilter } from './namespace-filter.js';
import { RawChangeEvent, RecentStrings, int64At } from './raw-change-event.js';

/** The bytes of `{s: value}` and where the string's value starts (type byte, "s", NUL). */
function stringElement(value: string): { buf: Buffer; at: number } {
  return { buf: Buffer.from(serialize({ s: value })), at: 4 + 1 + 2 };
}

// Short names repeat (as namespaces and operation types do); any string may turn up between them.
const names = fc.oneof(fc.constantFrom('insert', 'update', 'shop', 'orders', 'customers', 'ünïcödé', 'a.b', ''), fc.string({ maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 20 }));

describe('strings read from event bytes', () => {
  it('stringValue gives what a BSON decoder gives, ASCII or not, short or long', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 })), (value) => {
        const { buf, at } = stringElement(value);
        expect(stringValue(buf, at)).toBe((deserialize(buf) as { s: string }).s);
      }),
    );
  });

  it('RecentStrings returns the string the bytes spell, for repeats and evictions alike', () => {
    fc.assert(
      fc.property(fc.array(names, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (values, size) => {
        const recent = new RecentStrings(size);
        for (const value of values) {
          const { buf, at } = stringElement(value);
          expect(recent.get(buf, at)).toBe(value);
        }
      }),
    );
  });

  it('RecentStrings refuses invalid UTF-8 every time, as stringValue does', () => {
    const recent = new RecentStrings(4);
    const { buf, at } = stringElement('ab');
    buf[at + 4] = 0xff;
    expect(() => stringValue(buf, at)).toThrow(/invalid UTF-8/);
    expect(() => recent.get(buf, at)).toThrow(/invalid UTF-8/);
    expect(() => recent.get(buf, at)).toThrow(/invalid UTF-8/);
  });

  it('namespace and operationType of event after event are each event own', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ operationType: names, db: names, coll: names }), { maxLength: 40 }), (events) => {
        for (const e of events) {
          const ev = RawChangeEvent.read(Buffer.from(serialize({ _id: { _data: 'x' }, operationType: e.operationType, ns: { db: e.db, coll: e.coll } })));
          expect(ev.string('operationType')).toBe(e.operationType);
          expect(ev.namespace('ns')).toEqual({ db: e.db, coll: e.coll });
          // Asked twice (the collector, then the normalizer): the same answer.
          expect(ev.namespace('ns')).toEqual({ db: e.db, coll: e.coll });
        }
      }),
    );
  });
});

describe('int64At', () => {
  it('is Number(readBigInt64LE) for every int64, inside 53 bits and beyond', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const buf = Buffer.alloc(8);
        buf.writeBigInt64LE(v);
        expect(Object.is(int64At(buf, 0), Number(v))).toBe(true);
      }),
    );
    for (const v of [0n, -1n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      const buf = Buffer.from(serialize({ t: Long.fromBigInt(v) })).subarray(4 + 1 + 2);
      expect(int64At(buf, 0)).toBe(Number(v));
    }
  });
});

describe('NamespaceFilter remembers its answers', () => {
  it('answers each namespace as a new filter does, in any order and past its bound', () => {
    const scopes = [
      { include: ['*'], exclude: [] },
      { include: ['shop.*', 'crm.customers'], exclude: ['shop.audit*'] },
      { include: ['*.orders'], exclude: ['test.*'] },
    ];
    const db = fc.constantFrom('shop', 'crm', 'test', 'admin', 'local', '', 'x.y');
    const coll = fc.option(fc.constantFrom('orders', 'customers', 'audit', 'auditlog', 'system.views', '', 'a'), { nil: null });
    fc.assert(
      fc.property(fc.constantFrom(...scopes), fc.array(fc.tuple(db, coll), { maxLength: 50 }), (scope, seen) => {
        const filter = new NamespaceFilter(scope);
        for (const [d, c] of seen) expect(filter.captures(d, c)).toBe(new NamespaceFilter(scope).captures(d, c));
      }),
    );
    const filter = new NamespaceFilter(scopes[1]);
    for (let i = 0; i < 10_000; i++) expect(filter.captures('shop', `c${i % 5000}`)).toBe(true);
    expect(filter.captures('shop', 'audit')).toBe(false);
    expect(filter.captures('crm', null)).toBe(true);
  });
});
