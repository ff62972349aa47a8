import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VERIFY_RECORD_FILE, verifyRecordSchema } from '../../contracts/verify-record.js';
import { CatalogStore, FsBlobStore, openArchiveAt, writeSnapshotNamespace } from '../archive/index.js';
import { bsonBytes } from '../archive/testing/samples.js';
import { planRestore } from '../replay/plan-restore.js';
import { position } from '../../contracts/position.js';
import { planTarget } from '../restore/target-plan.js';
import { runVerify, sampleFiles } from './verify.js';
import { startVerifySchedule } from './verify-schedule.js';
import { statusArchive } from './testing/status-archive.js';
import type { StatusArchive } from './testing/status-archive.js';

const open: StatusArchive[] = [];
afterEach(async () => {
  for (const a of open.splice(0)) await a.cleanup();
});
async function archive(): Promise<StatusArchive> {
  const a = await statusArchive();
  open.push(a);
  return a;
}
const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function until<T>(what: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('verify: the result recorded in the archive, damage made a gap', () => {
  it('records a sound run in verify.json (time, files checked, no problems) and adds no gap', async () => {
    const a = await archive();
    const r = await runVerify({ archive: { location: a.dir }, scope: { kind: 'all' }, by: 'command' });
    expect(r.damaged).toBe(false);
    const record = verifyRecordSchema.parse(JSON.parse(await readFile(join(a.dir, VERIFY_RECORD_FILE), 'utf8')));
    expect(record).toMatchObject({ by: 'command', scope: 'all', catalogFiles: 3, filesChecked: 3, ok: 3, problems: [], gaps: [], gapsInCatalog: true, catalogGeneration: a.catalog.generation });
    expect(Date.parse(record.verifiedAt)).toBeGreaterThanOrEqual(Date.parse(record.startedAt));
    expect((await new CatalogStore(a.dir).read()).gaps).toEqual([]);
  });

  it('a damaged segment becomes a catalog gap naming the file; a restore across it is refused naming it; a second run adds no duplicate', async () => {
    const a = await archive();
    const seg = a.catalog.segments[0];
    if (!seg) throw new Error('fixture');
    const bytes = await readFile(join(a.dir, seg.file.path));
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0x55;
    await writeFile(join(a.dir, seg.file.path), bytes);

    const r = await runVerify({ archive: { location: a.dir }, scope: { kind: 'all' }, by: 'command' });
    expect(r.damaged).toBe(true);
    expect(r.record.problems).toEqual([expect.objectContaining({ path: seg.file.path, code: 'ARCHIVE_CHECKSUM_MISMATCH', owner: `segment ${seg.id}` })]);
    expect(r.gapsAdded).toHaveLength(1);
    const catalog = await new CatalogStore(a.dir).read();
    // The segment's first event is at .3: the gap starts just before it and stays open (no snapshot after the segment).
    expect(catalog.gaps).toEqual([{ from: `${a.seconds}.2.2147483647`, reason: expect.stringContaining(seg.file.path) as unknown, recordedAt: r.record.verifiedAt }]);

    // Before the damaged segment: still restorable. Across it: refused, naming the file.
    expect(planRestore(catalog, { kind: 'position', position: position(a.seconds, 2) }).snapshot.id).toBe('snap-1');
    expect(() => planRestore(catalog, { kind: 'position', position: position(a.seconds, 4) })).toThrow(seg.file.path);
    // The restore room's planning (what `rewind restore` runs once it reaches its target) refuses it, naming the file.
    const refused = await planTarget(new FsBlobStore(a.dir), catalog, { kind: 'position', position: `${a.seconds}.4` }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'PLAN_IN_GAP', message: expect.stringContaining(seg.file.path) as unknown });
    expect(refused).toMatchObject({ message: expect.stringContaining('damaged') as unknown });

    const again = await runVerify({ archive: { location: a.dir }, scope: { kind: 'all' }, by: 'command' });
    expect(again.gapsAdded).toEqual([]);
    expect((await new CatalogStore(a.dir).read()).gaps).toHaveLength(1);
  });

  it('a damaged segment older than a later intact snapshot makes a closed gap: restores from that snapshot on still work', async () => {
    const a = await archive();
    const store = new FsBlobStore(a.dir);
    const later = await writeSnapshotNamespace(store, 'snap-2', { ns: 'shop.orders', indexes: [], options: {} }, [{ key: bsonBytes({ _id: 1 }), document: bsonBytes({ _id: 1, v: 9 }) }]);
    await new CatalogStore(a.dir).update((c) => {
      c.snapshots.push({ id: 'snap-2', position: `${a.seconds}.5.0`, kind: 'compaction', namespaces: [later], createdAt: new Date().toISOString() });
      c.durable = `${a.seconds}.9.0`;
    });
    const seg = a.catalog.segments[0];
    if (!seg) throw new Error('fixture');
    await store.delete(seg.file.path);
    const r = await runVerify({ archive: { location: a.dir }, scope: { kind: 'all' }, by: 'command' });
    expect(r.record.problems).toEqual([expect.objectContaining({ code: 'ARCHIVE_FILE_MISSING' })]);
    const catalog = await new CatalogStore(a.dir).read();
    expect(catalog.gaps).toEqual([expect.objectContaining({ from: `${a.seconds}.2.2147483647`, to: `${a.seconds}.5.0` })]);
    expect(planRestore(catalog, { kind: 'position', position: position(a.seconds, 5) }).snapshot.id).toBe('snap-2');
    expect(() => planRestore(catalog, { kind: 'position', position: position(a.seconds, 4) })).toThrow(seg.file.path);
  });

  it('a sample continues where the last one stopped, so every file is checked in turn', async () => {
    const a = await archive();
    const cursors: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runVerify({ archive: { location: a.dir }, scope: { kind: 'sample', files: 2 }, by: 'schedule' });
      expect(r.record).toMatchObject({ scope: 'sample', filesChecked: 2, catalogFiles: 3 });
      cursors.push(verifyRecordSchema.parse(JSON.parse(await readFile(join(a.dir, VERIFY_RECORD_FILE), 'utf8'))).cursor);
    }
    // 3 files, 2 per run: the cursor moves 0 → 2 → 1 → 0.
    expect(cursors).toEqual([2, 1, 0]);
    const all = ['a', 'b', 'c'];
    const files = all.map((path) => ({ ref: { path, sha256: '0'.repeat(64), bytes: 0 }, owner: 'x' }));
    const named = (picked: { ref: { path: string } }[]) => picked.map((f) => f.ref.path);
    expect(named(sampleFiles(files, 0, 2).files)).toEqual(['a', 'b']);
    expect(named(sampleFiles(files, 2, 2).files)).toEqual(['c', 'a']);
    expect(sampleFiles(files, 2, 2).cursor).toBe(1);
    expect(named(sampleFiles(files, 0, 10).files)).toEqual(all);
  });

  it('while another process holds the catalog, the gaps wait in the record and that process adds them', async () => {
    const a = await archive();
    const holder = openArchiveAt(a.dir);
    await holder.catalog.acquire();
    const schedule = startVerifySchedule({ archive: holder, config: { everyMs: null, sampleFiles: null }, log: silentLog, foldEveryMs: 50 });
    try {
      const seg = a.catalog.segments[1];
      if (!seg) throw new Error('fixture');
      await writeFile(join(a.dir, seg.file.path), 'x');
      const r = await runVerify({ archive: { location: a.dir }, scope: { kind: 'all' }, by: 'command' });
      expect(r.gapsPending).toMatch(/CATALOG_LOCKED|held by another process/);
      expect(r.record.gapsInCatalog).toBe(false);
      const gaps = await until(async () => {
        const c = await holder.catalog.read();
        return c.gaps.length > 0 ? c.gaps : null;
      });
      expect(gaps[0]?.reason).toContain(seg.file.path);
      expect((await schedule.lastVerify())?.gapsInCatalog).toBe(true);
    } finally {
      await schedule.stop();
      await holder.catalog.release();
    }
  });

  it('the schedule verifies on its interval and records `by: schedule`; lastVerify() reads the record', async () => {
    const a = await archive();
    const opened = openArchiveAt(a.dir);
    const schedule = startVerifySchedule({ archive: opened, config: { everyMs: 100, sampleFiles: 1 }, log: silentLog });
    try {
      const record = await until(async () => (schedule.runs >= 2 ? schedule.lastVerify() : null));
      expect(record).toMatchObject({ by: 'schedule', scope: 'sample', filesChecked: 1, catalogFiles: 3, problems: [] });
    } finally {
      await schedule.stop();
    }
  });
});

