import { Timestamp } from './bson.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INDEX_MAX,
  POSITION_MAX,
  POSITION_ZERO,
  PositionFormatError,
  comparePositions,
  describePosition,
  formatPosition,
  parsePosition,
  parsePositionOrTime,
  position,
  positionAtIsoTime,
  positionFromTimestamp,
  positionSortKey,
  positionToTimestamp,
  sameClusterTime,
} from './index.js';

const UINT32_MAX = 0xffff_ffff;
const arbPosition = fc
  .tuple(fc.integer({ min: 0, max: UINT32_MAX }), fc.integer({ min: 0, max: UINT32_MAX }), fc.integer({ min: 0, max: INDEX_MAX }))
  .map(([s, i, n]) => position(s, i, n));

describe('Position ordering', () => {
  it('same seconds, different increments: ordered by increment as numbers, not as text', () => {
    expect(comparePositions(position(100, 2), position(100, 10))).toBeLessThan(0);
    expect(comparePositions(position(100, 10), position(100, 2))).toBeGreaterThan(0);
    expect(sameClusterTime(position(100, 2), position(100, 10))).toBe(false);
  });

  it('a transaction sharing one clusterTime is ordered by index; the next clusterTime comes after all of it', () => {
    const txn = [position(100, 5, 0), position(100, 5, 1), position(100, 5, 2), position(100, 5, 10)];
    for (let k = 1; k < txn.length; k++) {
      expect(comparePositions(txn[k - 1] as never, txn[k] as never)).toBeLessThan(0);
      expect(sameClusterTime(txn[k - 1] as never, txn[k] as never)).toBe(true);
    }
    expect(comparePositions(position(100, 5, INDEX_MAX), position(100, 6, 0))).toBeLessThan(0);
    expect(comparePositions(position(100, UINT32_MAX, INDEX_MAX), position(101, 0, 0))).toBeLessThan(0);
  });

  it('sorting shuffled positions gives seconds, then increment, then index order', () => {
    const sorted = ['1.0.0', '1.0.1', '1.1.0', '1.9.0', '1.10.0', '2.0.0', '10.0.0', '10.1.5'].map(parsePosition);
    const shuffled = [...sorted].reverse().sort(() => 0).sort((a, b) => comparePositions(b, a));
    expect(shuffled.sort(comparePositions).map(formatPosition)).toEqual(sorted.map(formatPosition));
  });

  it('compare is antisymmetric, zero only for equal positions, and agrees with the sort key', () => {
    fc.assert(
      fc.property(arbPosition, arbPosition, (a, b) => {
        const c = comparePositions(a, b);
        expect(Math.sign(comparePositions(b, a))).toBe(-Math.sign(c));
        expect(c === 0).toBe(formatPosition(a) === formatPosition(b));
        const k = positionSortKey(a) < positionSortKey(b) ? -1 : positionSortKey(a) > positionSortKey(b) ? 1 : 0;
        expect(k).toBe(Math.sign(c));
      }),
    );
  });

  it('the extremes bound every position', () => {
    fc.assert(
      fc.property(arbPosition, (p) => {
        expect(comparePositions(POSITION_ZERO, p)).toBeLessThanOrEqual(0);
        expect(comparePositions(p, POSITION_MAX)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe('Position serialization', () => {
  it('format → parse round-trips every position', () => {
    fc.assert(
      fc.property(arbPosition, (p) => {
        expect(parsePosition(formatPosition(p))).toEqual(p);
      }),
    );
  });

  it('BSON Timestamp → Position → Timestamp round-trips, including values above 2^31', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: UINT32_MAX }), fc.integer({ min: 0, max: UINT32_MAX }), (t, i) => {
        const ts = new Timestamp({ t, i });
        const p = positionFromTimestamp(ts);
        expect([p.seconds, p.increment]).toEqual([t, i]);
        expect(positionToTimestamp(p).equals(ts)).toBe(true);
      }),
    );
  });

  it('the index is optional when parsing and always written', () => {
    expect(parsePosition('1714564800.3')).toEqual(position(1714564800, 3, 0));
    expect(formatPosition(parsePosition('1714564800.3'))).toBe('1714564800.3.0');
    expect(parsePosition('  1714564800.3.2 ')).toEqual(position(1714564800, 3, 2));
    expect(describePosition(position(1714564800, 3, 1))).toBe('2024-05-01T12:00:00.000Z (1714564800.3.1)');
  });
});

describe('Position from ISO time', () => {
  const lastOf = (seconds: number) => position(seconds, UINT32_MAX, INDEX_MAX);

  it('a time selects the last position of its second: every event stamped within it is included', () => {
    expect(positionAtIsoTime('2024-05-01T12:00:00Z')).toEqual(lastOf(1714564800));
    expect(comparePositions(position(1714564800, 99, 3), positionAtIsoTime('2024-05-01T12:00:00Z'))).toBeLessThan(0);
    expect(comparePositions(position(1714564801, 0, 0), positionAtIsoTime('2024-05-01T12:00:00Z'))).toBeGreaterThan(0);
  });

  it('fractional seconds (up to nanoseconds) stay in their second', () => {
    expect(positionAtIsoTime('2024-05-01T12:00:00.5Z')).toEqual(lastOf(1714564800));
    expect(positionAtIsoTime('2024-05-01T12:00:00.999Z')).toEqual(lastOf(1714564800));
    expect(positionAtIsoTime('2024-05-01T12:00:00.999999999Z')).toEqual(lastOf(1714564800));
    expect(positionAtIsoTime('2024-05-01T12:00:01.000Z')).toEqual(lastOf(1714564801));
  });

  it('offsets are applied; minutes without seconds are accepted', () => {
    expect(positionAtIsoTime('2024-05-01T14:00:00+02:00')).toEqual(lastOf(1714564800));
    expect(positionAtIsoTime('2024-05-01T06:30:00-05:30')).toEqual(lastOf(1714564800));
    expect(positionAtIsoTime('2024-05-01T12:00Z')).toEqual(lastOf(1714564800));
    expect(positionAtIsoTime('1970-01-01T00:00:00Z')).toEqual(lastOf(0));
    expect(positionAtIsoTime('2106-02-07T06:28:15Z')).toEqual(lastOf(UINT32_MAX));
  });

  it('parsePositionOrTime tells the two forms apart', () => {
    expect(parsePositionOrTime('1714564800.3.1')).toEqual(position(1714564800, 3, 1));
    expect(parsePositionOrTime('2024-05-01T12:00:00Z')).toEqual(lastOf(1714564800));
  });
});

describe('malformed input gets a PositionFormatError naming the input', () => {
  const dotted = ['', 'abc', '1', '1.', '.1', '1..2', '1.2.3.4', '-1.2', '1.-2', '1.2.-3', '1e3.1', '1.2x', '0x10.1', '4294967296.0', '1.4294967296', '1.2.2147483648', '1.2.02147483648'];
  const times = [
    '2024-05-01',
    '2024-05-01T12:00:00',
    '2024-05-01 12:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-05-01T12:00:00+2',
    '1969-12-31T23:59:59Z',
    '2106-02-07T06:28:16Z',
    'yesterday',
  ];

  for (const input of dotted) {
    it(`parsePosition(${JSON.stringify(input)})`, () => {
      const err = (() => {
        try {
          parsePosition(input);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(PositionFormatError);
      expect((err as PositionFormatError).input).toBe(input);
      expect((err as Error).message).toContain(JSON.stringify(input));
    });
  }

  for (const input of times) {
    it(`parsePositionOrTime(${JSON.stringify(input)})`, () => {
      expect(() => parsePositionOrTime(input)).toThrow(PositionFormatError);
      expect(() => parsePositionOrTime(input)).toThrow(JSON.stringify(input));
    });
  }

  it('a leap day in a leap year is fine', () => {
    expect(positionAtIsoTime('2024-02-29T00:00:00Z').seconds).toBe(Date.UTC(2024, 1, 29) / 1000);
  });

  it('position() refuses out-of-range parts', () => {
    expect(() => position(-1, 0)).toThrow(PositionFormatError);
    expect(() => position(1.5, 0)).toThrow(PositionFormatError);
    expect(() => position(0, UINT32_MAX + 1)).toThrow(PositionFormatError);
    expect(() => position(0, 0, INDEX_MAX + 1)).toThrow(PositionFormatError);
  });
});
