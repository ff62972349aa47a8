import { describe, expect, it } from 'vitest';
import { EJSON, Int32, serialize } from './bson.js';
import { hasDigitOnlyNames, isDigitOnlyName } from './bson-names.js';
import { bsonToEjson } from './bson-to-ejson.js';
import { ExtendedJsonError, ejsonToBson, ejsonToBsonOrdered, ejsonValueToBson } from './ejson-to-bson.js';

/** Field names of a BSON document in byte order (one level). */
function names(bytes: Uint8Array, start = 0): string[] {
  const out: string[] = [];
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = start + view.readInt32LE(start) - 1;
  let at = start + 4;
  while (at < end) {
    const nameEnd = view.indexOf(0, at + 1);
    out.push(view.toString('utf8', at + 1, nameEnd));
    // Only the int32/string/document elements these tests use.
    const type = view[at];
    at = nameEnd + 1;
    at += type === 0x10 ? 4 : type === 0x02 ? 4 + view.readInt32LE(at) : view.readInt32LE(at);
  }
  return out;
}

const EVERY_TYPE = `{"_id":{"$oid":"65f0c0ffee0000000000002a"},"d":{"$numberDouble":"1.5"},"nd":{"$numberDouble":"-0.0"},
"inf":{"$numberDouble":"Infinity"},"s":"x\\u00e9\\n","o":{"a":1},"arr":[1,{"$numberLong":"2"}],
"bin":{"$binary":{"base64":"AAEC","subType":"00"}},"uuid":{"$binary":{"base64":"AAAAAAAAAAAAAAAAAAAAAA==","subType":"04"}},
"u":{"$undefined":true},"t":true,"f":false,"date":{"$date":{"$numberLong":"1700000000000"}},"n":null,
"re":{"$regularExpression":{"pattern":"a.c","options":"i"}},"code":{"$code":"x"},"sym":{"$symbol":"s"},
"i":{"$numberInt":"7"},"ts":{"$timestamp":{"t":5,"i":6}},"l":{"$numberLong":"9007199254740993"},
"dec":{"$numberDecimal":"1.10"},"min":{"$minKey":1},"max":{"$maxKey":1},"plain":12,"big":12345678901,"frac":0.25,
"q":{"$gt":1},"ref":{"$ref":"c","$id":1}}`;

describe('Extended JSON → BSON bytes, in the text field order', () => {
  it('keeps digit-only names where the text has them, at the top, nested and inside arrays', () => {
    const text = '{"_id":1,"b":2,"10":3,"2":4,"a":{"9":1,"x":2,"0":3},"arr":[{"7":1,"3":2}]}';
    const bytes = ejsonToBson(text);
    expect(names(bytes)).toEqual(['_id', 'b', '10', '2', 'a', 'arr']);
    // EJSON.parse reorders them: the very loss this reader exists to avoid.
    expect(names(serialize(EJSON.parse(text, { relaxed: false }) as object))).toEqual(['2', '10', '_id', 'b', 'a', 'arr']);
    expect(bsonToEjson(bytes)).toBe('{"_id":{"$numberInt":"1"},"b":{"$numberInt":"2"},"10":{"$numberInt":"3"},"2":{"$numberInt":"4"},"a":{"9":{"$numberInt":"1"},"x":{"$numberInt":"2"},"0":{"$numberInt":"3"}},"arr":[{"7":{"$numberInt":"1"},"3":{"$numberInt":"2"}}]}');
    expect(hasDigitOnlyNames(bytes)).toBe(true);
  });

  it('types every value exactly as bson EJSON does, canonical and relaxed', () => {
    for (const relaxed of [false, true]) {
      const expected = Buffer.from(serialize(EJSON.parse(EVERY_TYPE, { relaxed }) as object));
      expect(ejsonToBsonOrdered(EVERY_TYPE, { relaxed }).equals(expected), `relaxed ${relaxed}`).toBe(true);
      expect(ejsonToBson(EVERY_TYPE, { relaxed }).equals(expected)).toBe(true);
    }
  });

  it('prints bytes back as bson EJSON prints them when no name is digit-only', () => {
    const bytes = ejsonToBson(EVERY_TYPE);
    expect(hasDigitOnlyNames(bytes)).toBe(false);
    expect(bsonToEjson(bytes)).toBe(EJSON.stringify(EJSON.parse(EVERY_TYPE, { relaxed: false }), { relaxed: false }));
    // The order-keeping walk gives the same text as the plain path.
    const withDigits = ejsonToBson(EVERY_TYPE.replace('"plain":12', '"5":12'));
    expect(bsonToEjson(withDigits)).toBe(EJSON.stringify(EJSON.parse(EVERY_TYPE, { relaxed: false }), { relaxed: false }).replace('"plain":{"$numberInt":"12"}', '"5":{"$numberInt":"12"}'));
  });

  it('reads one value as a keyed document (--id)', () => {
    const oid: unknown = EJSON.parse('{"$oid":"65f0c0ffee0000000000002a"}');
    expect(ejsonValueToBson('_id', '{"$oid":"65f0c0ffee0000000000002a"}').equals(Buffer.from(serialize({ _id: oid })))).toBe(true);
    expect(ejsonValueToBson('_id', '42').equals(Buffer.from(serialize({ _id: new Int32(42) })))).toBe(true);
    expect(names(ejsonValueToBson('_id', '{"2":1,"1":2}'), 9)).toEqual(['2', '1']);
  });

  it('refuses malformed text with the offset of the problem', () => {
    for (const [text, offset] of [
      ['{"a":1,}', 7],
      ['{"a" 1}', 5],
      ['[1]', 0],
      ['{"a":1} x', 8],
      ['{"a":"x', 5],
      ['{"$oid":"65f0c0ffee0000000000002a"}', 0],
      ['{"a":{"$numberInt":"x"}}', 5],
      ['{"a\\u0000":1}', 11],
    ] as const) {
      let error: unknown;
      try {
        ejsonToBson(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(ExtendedJsonError);
      expect((error as ExtendedJsonError).offset, text).toBe(offset);
    }
  });

  it('names made of digits only', () => {
    expect(['0', '10', '01', '4294967296'].every(isDigitOnlyName)).toBe(true);
    expect(['', 'a1', '1a', '-1', '1.5', ' 1'].some(isDigitOnlyName)).toBe(false);
  });
});
