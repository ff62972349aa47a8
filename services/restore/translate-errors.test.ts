/**
 * Nothing loses its code's meaning or its retryable flag on its way out of
 * restore: archive errors pass with their own code, replay's refusals keep
 * theirs or take a restore code that agrees on whether a retry can help.
 */
import { MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, RewindError } from '../../contracts/errors.js';
import { ArchiveError } from '../archive/archive-errors.js';
import { REPLAY_CODES, ReplayError } from '../replay/errors.js';
import { FROM_REPLAY, toRestoreError } from './translate-errors.js';

describe('restore keeps every error whole', () => {
  it.each(REPLAY_CODES)('%s: the same retryable flag, and a code whose catalog entry agrees', (code) => {
    const original = new ReplayError(code, 'refused', { context: { at: '1.2.0' } });
    const out = toRestoreError(original) as RewindError;
    expect(out).toBeInstanceOf(RewindError);
    expect(out.retryable).toBe(original.retryable);
    expect(ERROR_CATALOG[out.code].retryable).toBe(ERROR_CATALOG[code].retryable);
    if (out === original) expect(FROM_REPLAY[code]).toBeUndefined();
    else expect(out).toMatchObject({ code: FROM_REPLAY[code], cause: original, context: { replayCode: code, at: '1.2.0' }, message: 'refused' });
  });

  it('a target past the durable position stays PLAN_PAST_DURABLE, retryable (it was OUTSIDE_WINDOW, final)', () => {
    expect(toRestoreError(new ReplayError('PLAN_PAST_DURABLE', 'later'))).toMatchObject({ code: 'PLAN_PAST_DURABLE', retryable: true });
  });

  it('archive errors pass as they are: a busy lock stays retryable, an I/O failure keeps its errno verdict', () => {
    const locked = new ArchiveError('CATALOG_LOCKED', { path: 'catalog.json', location: '/a/catalog.json', holderPid: 1, holderHost: 'h' });
    expect(toRestoreError(locked)).toBe(locked);
    expect(locked.retryable).toBe(true);
    const io = new ArchiveError('ARCHIVE_IO_FAILED', { path: 'p', location: '/a/p', operation: 'read' }, { cause: Object.assign(new Error('busy'), { code: 'EBUSY', errno: -16 }) });
    expect(toRestoreError(io)).toMatchObject({ code: 'ARCHIVE_IO_FAILED', retryable: true });
  });

  it('a driver error becomes TARGET_FAILED with the driver error as its cause', () => {
    const driver = new MongoServerError({ message: 'not primary', code: 10107 });
    expect(toRestoreError(driver)).toMatchObject({ code: 'TARGET_FAILED', retryable: true, cause: driver, message: 'not primary' });
  });
});
