import { describe, expect, it } from 'vitest';
import { position } from '../../contracts/position.js';
import type { RestoreError } from '../restore/errors.js';
import { pointInTimeFromFlags } from './point-in-time-flags.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as RestoreError).code;
  }
};

describe('point-in-time flags', () => {
  it('reads each kind of point and defaults to the latest state', () => {
    expect(pointInTimeFromFlags({})).toEqual({ kind: 'latest' });
    expect(pointInTimeFromFlags({ at: '2026-01-01T00:00:00Z' })).toEqual({ kind: 'time', iso: '2026-01-01T00:00:00Z' });
    expect(pointInTimeFromFlags({ atPosition: '1767000000.3' })).toEqual({ kind: 'position', position: position(1767000000, 3, 0) });
    expect(pointInTimeFromFlags({ at: '1767000000.3.1' })).toEqual({ kind: 'position', position: position(1767000000, 3, 1) });
    expect(pointInTimeFromFlags({ at: '2026-01-01T00:00:00+01:00' })).toEqual({ kind: 'time', iso: '2026-01-01T00:00:00+01:00' });
    expect(pointInTimeFromFlags({ beforeEvent: ' 8263abc ' })).toEqual({ kind: 'before-event', eventId: '8263abc' });
  });

  it('refuses malformed or contradictory points before anything is opened', () => {
    expect(codeOf(() => pointInTimeFromFlags({ at: '2026-01-01' }))).toBe('BAD_POSITION');
    expect(codeOf(() => pointInTimeFromFlags({ at: '2026-02-30T00:00:00Z' }))).toBe('BAD_POSITION');
    expect(codeOf(() => pointInTimeFromFlags({ atPosition: '1.2.3.4' }))).toBe('BAD_POSITION');
    expect(codeOf(() => pointInTimeFromFlags({ atPosition: '99999999999.1' }))).toBe('BAD_POSITION');
    expect(codeOf(() => pointInTimeFromFlags({ beforeEvent: '  ' }))).toBe('BAD_POSITION');
    expect(codeOf(() => pointInTimeFromFlags({ at: '2026-01-01T00:00:00Z', atPosition: '1.1' }))).toBe('BAD_OPTIONS');
  });
});
