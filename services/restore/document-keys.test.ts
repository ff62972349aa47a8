import { Decimal128, Double, Int32, Long, ObjectId } from '../../contracts/bson.js';
import { describe, expect, it } from 'vitest';
import { KeySet, keyFromJson, keyFromText, keyFromValue, keyToJson, keyToText } from './document-keys.js';
import type { RestoreError } from './errors.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as RestoreError).code;
  }
};

describe('document keys', () => {
  it('round-trips every key type exactly through text and report JSON', () => {
    for (const v of [new Int32(7), new Double(7.5), Long.fromString('9007199254740993'), Decimal128.fromString('1.10'), 'sku-1', new ObjectId('64b7f0c2a1b2c3d4e5f60718'), { a: new Int32(1), b: 'x' }]) {
      const key = keyFromValue(v);
      expect(Buffer.from(keyFromText(keyToText(key)))).toEqual(Buffer.from(key));
      expect(Buffer.from(keyFromJson(JSON.parse(JSON.stringify(keyToJson(key))) as unknown))).toEqual(Buffer.from(key));
    }
    expect(codeOf(() => keyFromText('{"$oid": "zz"}'))).toBe('BAD_KEY');
    expect(codeOf(() => keyFromText('[1]'))).toBe('BAD_KEY');
    expect(codeOf(() => keyFromJson({ $oid: 'zz' }))).toBe('BAD_REPORT');
  });

  it('finds keys in MongoDB order, numbers equal across types', () => {
    const set = new KeySet([keyFromValue(new Int32(3)), keyFromValue('a'), keyFromValue(new Int32(1)), keyFromValue(new Double(1))]);
    expect(set.size).toBe(3);
    expect(set.has(keyFromValue(Long.fromNumber(3)))).toBe(true);
    expect(set.has(keyFromValue(new Double(1.0)))).toBe(true);
    expect(set.has(keyFromValue('b'))).toBe(false);
  });
});
