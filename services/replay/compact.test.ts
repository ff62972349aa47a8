import { readdir } from 'node:fs/promises';
import { Int32, serialize } from '../../contracts/bson.js';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import type { SnapshotRecord } from '../../contracts/avro/snapshot-record.js';
import { compareDocumentKeys } from '../../contracts/document-key.js';
import { position } from '../../contracts/position.js';
import { compact } from './compact.js';
import { ReplayError } from './errors.js';
import { FsRunStore } from './fs-run-store.js';
import { MemoryRunStore } from './run-store.js';
import { generateHistory } from './testing/history-model.js';
import { EMPTY, compactTo, dumpSnapshot } from './testing/replay-harness.js';

const bson = (d: object) => Buffer.from(serialize(d));
const metadata = (ns: string) => ({ ns, indexes: [], options: {} });

async function* records(n: number): AsyncIterable<SnapshotRecord> {
  for (let i = 0; i < n; i++) yield await Promise.resolve({ key: bson({ _id: new Int32(i) }), document: bson({ _id: new Int32(i), v: new Int32(0) }) });
}

function event(seq: number, op: ChangeEvent['op'], id: number, extra: Partial<ChangeEvent> = {}): ChangeEvent {
  return {
    id: `e${seq}`,
    seconds: 1_700_000_000 + seq,
    increment: 1,
    index: 0,
    wallTimeMs: null,
    op,
    ns: { db: 'app', coll: 'a' },
    to: null,
    collectionUUID: null,
    documentKey: bson({ _id: new Int32(id) }),
    fullDocument: null,
    fullDocumentIsLookup: false,
    fullDocumentBeforeChange: null,
    updateDescription: null,
    operationDescription: null,
    txn: null,
    resumeToken: bson({ _data: `e${seq}` }),
    ...extra,
  };
}

describe('compact', () => {
  it('spills many runs to the filesystem under a tiny budget and merges them with the base exactly', async () => {
    const store = await FsRunStore.create();
    try {
      const events: ChangeEvent[] = [];
      for (let s = 0; s < 3000; s++) {
        const id = (s * 7919) % 1500;
        const ud = { updatedFields: bson({ v: new Int32(s) }), removedFields: [], truncatedArrays: [], disambiguatedPaths: null };
        if (s % 10 === 9) events.push(event(s, 'delete', id));
        else if (id >= 1000) events.push(event(s, 'insert', id, { fullDocument: bson({ _id: new Int32(id), v: new Int32(s) }) }));
        else events.push(event(s, 'update', id, { updateDescription: ud }));
      }
      // The truth, by applying the events one by one to a plain map.
      const truth = new Map<number, number>();
      for (let i = 0; i < 1000; i++) truth.set(i, 0);
      let gaps = 0;
      for (const [s, e] of events.entries()) {
        const id = (s * 7919) % 1500;
        if (e.op === 'delete') {
          if (!truth.delete(id)) gaps++;
        } else if (e.op === 'insert' || truth.has(id)) truth.set(id, s);
        else gaps++;
      }
      const result = await compact({
        base: { position: position(1_600_000_000, 1, 0), namespaces: [{ ns: 'app.a', metadata: metadata('app.a'), records: records(1000) }] },
        events,
        upTo: position(1_800_000_000, 0, 0),
        runStore: store,
        memoryBytes: 64 * 1024,
        onGap: 'record',
      });
      expect(result.stats.runsWritten).toBeGreaterThan(20);
      expect((await readdir(store.dir)).length).toBe(result.stats.runsWritten);
      const out: SnapshotRecord[] = [];
      for await (const r of result.namespaces[0]?.records ?? []) out.push(r);
      expect(result.gaps.length).toBe(gaps);
      expect(out.map((r) => r.document.toString('hex'))).toEqual(
        [...truth].sort(([a], [b]) => a - b).map(([id, v]) => bson({ _id: new Int32(id), v: new Int32(v) }).toString('hex')),
      );
      for (let i = 1; i < out.length; i++) expect(compareDocumentKeys((out[i - 1] as SnapshotRecord).key, (out[i] as SnapshotRecord).key)).toBeLessThan(0);
      await result.dispose();
      expect(await readdir(store.dir)).toEqual([]);
    } finally {
      await store.dispose();
    }
  });

  it('stops with a typed gap error naming the event when the prior state is unknown', async () => {
    const ud = { updatedFields: bson({ v: 1 }), removedFields: [], truncatedArrays: [], disambiguatedPaths: null };
    const result = await compact({
      base: { position: null, namespaces: [] },
      events: [event(1, 'update', 5, { updateDescription: ud })],
      upTo: position(1_800_000_000, 0, 0),
      runStore: new MemoryRunStore(),
    });
    const read = async () => {
      for await (const r of result.namespaces[0]?.records ?? []) void r;
    };
    await expect(read()).rejects.toThrow(ReplayError);
    await expect(
      (async () => {
        for await (const r of (await compact({ base: { position: null, namespaces: [] }, events: [event(1, 'update', 5, { updateDescription: ud })], upTo: position(1_800_000_000, 0, 0), runStore: new MemoryRunStore() })).namespaces[0]?.records ?? []) void r;
      })(),
    ).rejects.toMatchObject({ code: 'REPLAY_GAP', context: { eventId: 'e1', position: '1700000001.1.0' } });
  });

  it('gives the same snapshot whatever the memory budget (one run, many runs, no spill)', async () => {
    const h = generateHistory(42, 400);
    const end = h.events[h.events.length - 1] as ChangeEvent;
    const upTo = position(end.seconds, end.increment, end.index);
    const dumps = [];
    for (const memory of [500, 20_000, 1 << 30]) dumps.push(dumpSnapshot(await compactTo(EMPTY, h.events, upTo, new MemoryRunStore(), memory)));
    expect(new Set(dumps).size).toBe(1);
    expect(dumps[0]).toBe(h.checkpoints[h.checkpoints.length - 1]?.dump);
  });
});
