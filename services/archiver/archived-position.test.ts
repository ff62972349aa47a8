import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { position } from '../../contracts/index.js';
import type { Catalog } from '../../contracts/index.js';
import { ArchivedPosition, countEventsSinceSnapshot } from './archived-position.js';

const silent = pino({ level: 'silent' });

describe('archived position', () => {
  it('drops an event at or before the last archived one and counts it', () => {
    const p = new ArchivedPosition(silent);
    expect(p.isDuplicate(position(10, 1, 0), 'a')).toBe(false);
    p.archived(position(10, 1, 0), 'a');
    p.archived(position(10, 2, 0), 'b');
    expect(p.isDuplicate(position(10, 1, 0), 'a')).toBe(true);
    expect(p.isDuplicate(position(10, 2, 0), 'b')).toBe(true);
    expect(p.isDuplicate(position(10, 2, 1), 'c')).toBe(false);
    expect({ archived: p.eventsArchived, dropped: p.duplicatesDropped, since: p.eventsSinceSnapshot }).toEqual({ archived: 2, dropped: 2, since: 2 });
  });

  it('logs two different events at one position and keeps the first', () => {
    const lines: string[] = [];
    const log = pino({ level: 'error' }, { write: (l: string) => void lines.push(l) });
    const p = new ArchivedPosition(log);
    p.archived(position(5, 1, 0), 'first');
    expect(p.isDuplicate(position(5, 1, 0), 'other')).toBe(true);
    expect(lines.join('')).toMatch(/two different events at one position/);
  });

  it('starts from the catalog: the durable point and the events past the newest snapshot', () => {
    const catalog = {
      snapshots: [{ position: '100.0.0' }, { position: '50.0.0' }],
      segments: [
        { first: '40.1.0', count: 7 },
        { first: '101.1.0', count: 3 },
        { first: '120.1.0', count: 4 },
      ],
    } as unknown as Catalog;
    expect(countEventsSinceSnapshot(catalog)).toBe(7);
    const p = new ArchivedPosition(silent);
    p.startFrom(position(130, 0, 0), catalog);
    expect(p.isDuplicate(position(129, 9, 0), 'x')).toBe(true);
    expect(p.eventsSinceSnapshot).toBe(7);
    p.snapshotTaken();
    expect(p.eventsSinceSnapshot).toBe(0);
  });
});
