import { Decimal128, Double, Int32, Long, ObjectId, serialize } from '../../contracts/bson.js';
import { describe, expect, it } from 'vitest';
import type { RestoreError } from './errors.js';
import { matchesBson, parseFilter } from './filter.js';

const doc = {
  _id: new ObjectId('64b7f0c2a1b2c3d4e5f60718'),
  qty: new Int32(5),
  price: new Double(9.5),
  big: Long.fromString('9007199254740993'),
  dec: Decimal128.fromString('2.50'),
  name: 'widget',
  tags: ['a', 'b'],
  sizes: [new Int32(1), new Int32(7)],
  nested: { color: 'red', dims: { w: new Int32(3) } },
  items: [{ sku: 'x', n: new Int32(1) }, { sku: 'y', n: new Int32(2) }],
  nil: null,
  when: new Date('2024-05-01T00:00:00Z'),
};
const bytes = serialize(doc);
const m = (filter: string) => matchesBson(parseFilter(filter), bytes);

describe('--filter evaluator', () => {
  it('matches equality across numeric types, as MongoDB does', () => {
    expect(m('{"qty": 5}')).toBe(true);
    expect(m('{"qty": 5.0}')).toBe(true);
    expect(m('{"qty": {"$numberLong": "5"}}')).toBe(true);
    expect(m('{"qty": 6}')).toBe(false);
    expect(m('{"big": {"$numberLong": "9007199254740993"}}')).toBe(true);
    expect(m('{"big": {"$numberLong": "9007199254740992"}}')).toBe(false);
  });

  it('walks dotted paths, array elements and array indexes', () => {
    expect(m('{"nested.color": "red"}')).toBe(true);
    expect(m('{"nested.dims.w": {"$gte": 3}}')).toBe(true);
    expect(m('{"tags": "b"}')).toBe(true);
    expect(m('{"tags": ["a", "b"]}')).toBe(true);
    expect(m('{"tags": ["b", "a"]}')).toBe(false);
    expect(m('{"items.sku": "y"}')).toBe(true);
    expect(m('{"items.1.sku": "y"}')).toBe(true);
    expect(m('{"items.0.sku": "y"}')).toBe(false);
    expect(m('{"sizes": {"$gt": 6}}')).toBe(true);
    expect(m('{"sizes": {"$gt": 7}}')).toBe(false);
  });

  it('compares only within a type bracket', () => {
    expect(m('{"name": {"$gt": 1}}')).toBe(false);
    expect(m('{"name": {"$gt": "a"}}')).toBe(true);
    expect(m('{"price": {"$lt": 10}}')).toBe(true);
    expect(m('{"dec": {"$gt": 2.4, "$lt": 2.6}}')).toBe(true);
    expect(m('{"when": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}}')).toBe(true);
    expect(m('{"_id": {"$oid": "64b7f0c2a1b2c3d4e5f60718"}}')).toBe(true);
  });

  it('handles $in, $nin, $ne, $exists, null and missing fields', () => {
    expect(m('{"name": {"$in": ["gadget", "widget"]}}')).toBe(true);
    expect(m('{"name": {"$nin": ["gadget", "widget"]}}')).toBe(false);
    expect(m('{"name": {"$ne": "widget"}}')).toBe(false);
    expect(m('{"nil": {"$exists": true}}')).toBe(true);
    expect(m('{"absent": {"$exists": false}}')).toBe(true);
    expect(m('{"absent": null}')).toBe(true);
    expect(m('{"nil": null}')).toBe(true);
    expect(m('{"name": null}')).toBe(false);
  });

  it('combines with $and, $or, $nor', () => {
    expect(m('{"$or": [{"qty": 1}, {"name": "widget"}]}')).toBe(true);
    expect(m('{"$and": [{"qty": 5}, {"name": "gadget"}]}')).toBe(false);
    expect(m('{"$nor": [{"qty": 1}]}')).toBe(true);
  });

  it('refuses unsupported operators and malformed input with distinct codes', () => {
    const code = (f: string) => {
      try {
        parseFilter(f);
        return 'accepted';
      } catch (err) {
        return (err as RestoreError).code;
      }
    };
    expect(code('{"name": {"$regex": "^w"}}')).toBe('UNSUPPORTED_FILTER_OPERATOR');
    expect(code('{"$where": "true"}')).toBe('UNSUPPORTED_FILTER_OPERATOR');
    expect(code('{"items": {"$elemMatch": {"n": 1}}}')).toBe('UNSUPPORTED_FILTER_OPERATOR');
    expect(code('{"name": {"$regularExpression": {"pattern": "w", "options": ""}}}')).toBe('UNSUPPORTED_FILTER_OPERATOR');
    expect(code('{name: 1}')).toBe('BAD_FILTER');
    expect(code('[1]')).toBe('BAD_FILTER');
    expect(code('{"$or": []}')).toBe('BAD_FILTER');
    expect(code('{"qty": {"$in": 5}}')).toBe('BAD_FILTER');
    expect(code('{"qty": {"$gt": 1, "x": 2}}')).toBe('BAD_FILTER');
    expect(code('{"": 1}')).toBe('BAD_FILTER');
  });
});
