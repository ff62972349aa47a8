import {
  BSONRegExp,
  BSONSymbol,
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  serialize,
} from './bson.js';
import { describe, expect, it } from 'vitest';
import { compareBsonValues, compareDocumentKeys } from './index.js';

const key = (v: unknown) => serialize({ _id: v });
const cmp = (a: unknown, b: unknown) => Math.sign(compareDocumentKeys(key(a), key(b)));

/** One value of each BSON type, in MongoDB's documented comparison order. */
const TYPE_ORDER: [string, unknown][] = [
  ['MinKey', new MinKey()],
  ['null', null],
  ['number', new Int32(5)],
  ['string', 'a'],
  ['object', { a: 1 }],
  ['array', [1]],
  ['binData', new Binary(Buffer.from([1]), 0)],
  ['ObjectId', new ObjectId('000000000000000000000001')],
  ['bool', false],
  ['date', new Date(0)],
  ['timestamp', new Timestamp({ t: 0, i: 1 })],
  ['regex', new BSONRegExp('a', '')],
  ['MaxKey', new MaxKey()],
];

describe('compareDocumentKeys follows MongoDB BSON order', () => {
  for (let i = 0; i < TYPE_ORDER.length; i++) {
    for (let j = i + 1; j < TYPE_ORDER.length; j++) {
      const [na, a] = TYPE_ORDER[i] as [string, unknown];
      const [nb, b] = TYPE_ORDER[j] as [string, unknown];
      it(`${na} < ${nb}`, () => {
        expect(cmp(a, b)).toBe(-1);
        expect(cmp(b, a)).toBe(1);
      });
    }
  }

  it('type order holds whatever the values: a huge number < the empty string, false > any ObjectId', () => {
    expect(cmp(new Double(Number.MAX_VALUE), '')).toBe(-1);
    expect(cmp(new ObjectId('ffffffffffffffffffffffff'), false)).toBe(-1);
    expect(cmp(new Date(8.64e15), new Timestamp({ t: 0, i: 0 }))).toBe(-1);
  });

  it('numbers compare by value across types: Int32 1 == Double 1.0 == Long 1 == Decimal128 1', () => {
    const ones = [new Int32(1), new Double(1), Long.fromNumber(1), Decimal128.fromString('1'), Decimal128.fromString('1.0')];
    for (const a of ones) for (const b of ones) expect(cmp(a, b)).toBe(0);
    expect(cmp(new Int32(1), new Double(1.5))).toBe(-1);
    expect(cmp(Long.fromNumber(2), new Double(1.5))).toBe(1);
    expect(cmp(new Double(-0), new Int32(0))).toBe(0);
  });

  it('2^53+1 as a Long is above 2^53 as a double (no rounding through doubles)', () => {
    const big = Long.fromString('9007199254740993');
    expect(cmp(big, new Double(2 ** 53))).toBe(1);
    expect(cmp(new Double(2 ** 53), big)).toBe(-1);
    expect(cmp(Long.fromString('9007199254740992'), new Double(2 ** 53))).toBe(0);
    expect(cmp(Long.fromString('9223372036854775807'), new Double(2 ** 63))).toBe(-1);
  });

  it('NaN sorts below -Infinity and equals itself; infinities bound every finite number', () => {
    expect(cmp(new Double(Number.NaN), new Double(Number.NEGATIVE_INFINITY))).toBe(-1);
    expect(cmp(new Double(Number.NaN), new Double(Number.NaN))).toBe(0);
    expect(cmp(Decimal128.fromString('NaN'), new Double(Number.NaN))).toBe(0);
    expect(cmp(new Double(Number.NEGATIVE_INFINITY), Long.fromString('-9223372036854775808'))).toBe(-1);
    expect(cmp(new Double(Number.POSITIVE_INFINITY), Long.fromString('9223372036854775807'))).toBe(1);
  });

  it('strings compare by UTF-8 bytes (no collation); symbols as strings', () => {
    expect(cmp('B', 'a')).toBe(-1);
    expect(cmp('a', 'ab')).toBe(-1);
    // U+FF61 (EF BD A1 in UTF-8) is below U+1F600 (F0 9F 98 80), though UTF-16 units order them the other way.
    expect(cmp('\uff61', '😀')).toBe(-1);
    expect(compareBsonValues(new BSONSymbol('a'), 'a')).toBe(0);
  });

  it('objects compare field by field: type of value, then name, then value; shorter first', () => {
    expect(cmp({ a: 1 }, { a: 2 })).toBe(-1);
    expect(cmp({ a: 1 }, { b: 0 })).toBe(-1);
    expect(cmp({ a: 'x' }, { a: 1 })).toBe(1);
    expect(cmp({ a: 1 }, { a: 1, b: 1 })).toBe(-1);
    expect(cmp({}, { a: 1 })).toBe(-1);
  });

  it('arrays, binData, ObjectId, bool, dates, timestamps and regexes within their type', () => {
    expect(cmp([1, 2], [1, 3])).toBe(-1);
    expect(cmp([1], [1, 0])).toBe(-1);
    // binData: length first, then subtype, then bytes.
    expect(cmp(new Binary(Buffer.from([9]), 0), new Binary(Buffer.from([0, 0]), 0))).toBe(-1);
    expect(cmp(new Binary(Buffer.from([9]), 0), new Binary(Buffer.from([0]), 5))).toBe(-1);
    expect(cmp(new Binary(Buffer.from([1]), 0), new Binary(Buffer.from([2]), 0))).toBe(-1);
    expect(cmp(new ObjectId('000000000000000000000001'), new ObjectId('000000000000000000000002'))).toBe(-1);
    expect(cmp(false, true)).toBe(-1);
    expect(cmp(new Date(-1), new Date(0))).toBe(-1);
    expect(cmp(new Timestamp({ t: 1, i: 2 }), new Timestamp({ t: 2, i: 1 }))).toBe(-1);
    expect(cmp(new Timestamp({ t: 0xffffffff, i: 1 }), new Timestamp({ t: 1, i: 0xffffffff }))).toBe(1);
    expect(cmp(new BSONRegExp('a', 'i'), new BSONRegExp('b', ''))).toBe(-1);
    expect(cmp(new BSONRegExp('a', ''), new BSONRegExp('a', 'i'))).toBe(-1);
  });

  it('identical bytes are equal; the order is a consistent sort', () => {
    const values = TYPE_ORDER.map(([, v]) => v).reverse();
    const sorted = values.map(key).sort(compareDocumentKeys);
    expect(sorted.map((b) => Buffer.from(b).toString('hex'))).toEqual(TYPE_ORDER.map(([, v]) => Buffer.from(key(v)).toString('hex')));
  });
});
