import { Decimal128, Double, Int32, Long, ObjectId } from '../../contracts/bson.js';
import { describe, expect, it } from 'vitest';
import { KeySet, keyFromJson, keyFromText, keyFromValue, keyToJson, keyToText } from './document-keys.js';
import type { RestoreError } from './errors.js';
import { targetFromFlags } from './target-options.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as RestoreError).code;
  }
};

describe('target flags', () => {
  it('reads each kind of target and defaults to the latest state', () => {
    expect(targetFromFlags({})).toEqual({ kind: 'latest' });
    expect(targetFromFlags({ to: '2026-01-01T00:00:00Z' })).toEqual({ kind: 'time', iso: '2026-01-01T00:00:00Z' });
    expect(targetFromFlags({ toPosition: '1767000000.3' })).toEqual({ kind: 'position', position: '1767000000.3' });
    expect(targetFromFlags({ at: '1767000000.3.1' })).toEqual({ kind: 'position', position: '1767000000.3.1' });
    expect(targetFromFlags({ at: '2026-01-01T00:00:00+01:00' })).toEqual({ kind: 'time', iso: '2026-01-01T00:00:00+01:00' });
    expect(targetFromFlags({ beforeEvent: ' 8263abc ' })).toEqual({ kind: 'before-event', eventId: '8263abc' });
  });

  it('refuses malformed or contradictory targets before anything is opened', () => {
    expect(codeOf(() => targetFromFlags({ to: '2026-01-01' }))).toBe('BAD_POSITION');
    expect(codeOf(() => targetFromFlags({ to: '2026-02-30T00:00:00Z' }))).toBe('BAD_POSITION');
    expect(codeOf(() => targetFromFlags({ toPosition: '1.2.3.4' }))).toBe('BAD_POSITION');
    expect(codeOf(() => targetFromFlags({ toPosition: '99999999999.1' }))).toBe('BAD_POSITION');
    expect(codeOf(() => targetFromFlags({ beforeEvent: '  ' }))).toBe('BAD_POSITION');
    expect(codeOf(() => targetFromFlags({ to: '2026-01-01T00:00:00Z', toPosition: '1.1' }))).toBe('BAD_OPTIONS');
  });
});

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
