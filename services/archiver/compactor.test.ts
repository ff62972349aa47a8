import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { INDEX_MAX, position } from '../../contracts/index.js';
import type { CatalogStore } from '../archive/index.js';
import { Compactor, wholeTransactionsUpTo } from './compactor.js';
import type { CompactorOptions } from './compactor.js';

const silent = pino({ level: 'silent' });

function compactor(overrides: Partial<CompactorOptions>, reads: { n: number }) {
  const catalog = {
    read: () => {
      reads.n += 1;
      return Promise.resolve({ durable: undefined, snapshots: [], segments: [], gaps: [] });
    },
  } as unknown as CatalogStore;
  return new Compactor({
    store: {} as CompactorOptions['store'],
    catalog,
    writes: {} as CompactorOptions['writes'],
    codec: 'deflate',
    policy: { everyMs: 1000, afterEvents: null, memoryBytes: 1 << 20 },
    log: silent,
    eventsSinceSnapshot: () => 0,
    snapshotTaken: () => undefined,
    copyActive: () => false,
    onError: () => undefined,
    ...overrides,
  });
}

describe('compactor', () => {
  it('never splits a clusterTime group still arriving', () => {
    expect(wholeTransactionsUpTo(position(10, 5, 2))).toEqual(position(10, 4, INDEX_MAX));
    expect(wholeTransactionsUpTo(position(10, 0, 2))).toEqual(position(9, 0xffff_ffff, INDEX_MAX));
    expect(wholeTransactionsUpTo(position(10, 5, INDEX_MAX))).toEqual(position(10, 5, INDEX_MAX));
    expect(wholeTransactionsUpTo(position(0, 0, 1))).toEqual(position(0, 0, 0));
  });

  it('does not even read the catalog with no policy or while a copy is being built', async () => {
    const reads = { n: 0 };
    await compactor({ policy: { everyMs: null, afterEvents: null, memoryBytes: 1 } }, reads).compactIfDue();
    await compactor({ copyActive: () => true }, reads).compactIfDue();
    expect(reads.n).toBe(0);
    await compactor({}, reads).compactIfDue();
    expect(reads.n).toBe(1);
  });

  it('runs one check at a time in the background and reports its failure', async () => {
    const errors: unknown[] = [];
    const c = compactor({ catalog: { read: () => Promise.reject(new Error('unreadable')) } as unknown as CatalogStore, onError: (e) => void errors.push(e) }, { n: 0 });
    c.start();
    expect(c.busy).toBe(true);
    c.start();
    await c.idle();
    expect(c.busy).toBe(false);
    expect(errors).toHaveLength(1);
  });
});
