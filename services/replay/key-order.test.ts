import { Double, Int32, Long, ObjectId, serialize } from '../../contracts/bson.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDocumentKeys } from '../../contracts/document-key.js';
import { compareKeys } from './key-order.js';

const id = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => new Int32(n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => Long.fromBigInt(n)),
  fc.double({ noNaN: true }).map((n) => new Double(n)),
  fc.string({ unit: 'binary' }),
  fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => new ObjectId(Buffer.from(b))),
);
const key = (v: unknown) => Buffer.from(serialize({ _id: v }));

describe('compareKeys', () => {
  it("agrees with the contract's compareDocumentKeys on every pair of keys", () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(Math.sign(compareKeys(key(a), key(b)))).toBe(Math.sign(compareDocumentKeys(key(a), key(b))));
      }),
      { numRuns: 5000 },
    );
  });
});
