import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveError, CatalogStore, FsBlobStore, catalogFiles, writeSegment } from '../archive/index.js';
import { makeEvent } from '../archive/testing/samples.js';
import { Collector } from '../collector/collector.js';
import { CatalogResumeStore } from '../collector/resume-store.js';
import { RecordedChangeSource } from '../collector/testing/recorded-change-source.js';
import { RecordedCopySource } from '../collector/testing/recorded-copy-source.js';
import { syntheticStream } from '../collector/testing/synthetic-stream.js';
import { EmbeddedLog } from '../eventlog/embedded-log.js';
import { Archiver } from './archiver.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function archiverFor(catalog: CatalogStore, store: FsBlobStore, events: number) {
  const t0 = Date.now() + 100;
  const log = new EmbeddedLog();
  const collector = new Collector({
    // Events arrive after the collector started, so it captures them (a fresh archive starts at "now").
    source: new RecordedChangeSource(syntheticStream({ events, perSecond: 500, seed: 3 }), { batchSize: 50, availableAtMs: (i) => t0 + i * 0.5 }),
    copySource: new RecordedCopySource(() => []),
    producer: log.producer,
    resumeStore: new CatalogResumeStore(() => catalog.readIfExists()),
    log: silent,
    pollWaitMs: 20,
    heartbeatMs: 0,
  });
  const archiver = new Archiver({
    consumer: log.consumer,
    store,
    catalog,
    sourceId: 'test',
    log: silent,
    segmentMaxBytes: 16 * 1024,
    segmentMaxAgeMs: 50,
    codec: 'deflate',
    compaction: { everyMs: null, afterEvents: null, memoryBytes: 16 * 1024 * 1024 },
    retention: { windowMs: null },
    pollWaitMs: 20,
    logEnded: () => log.ended,
  });
  return { collector, archiver };
}

async function unreferenced(store: FsBlobStore, catalog: CatalogStore): Promise<string[]> {
  const named = new Set(catalogFiles(await catalog.read()).map((f) => f.ref.path));
  return (await store.list('segments/')).filter((p) => !named.has(p));
}

describe('archive files no catalog names', () => {
  it('a catalog update that fails after its segment is durable (a full disk) removes the segment again and names the catalog', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-orphans-'));
    dirs.push(dir);
    const store = new FsBlobStore(dir);
    const catalog = new CatalogStore(dir);
    await catalog.init('test');
    let updates = 0;
    const update = catalog.update.bind(catalog);
    // The third catalog update meets a full disk, as writeFileAtomic would report it.
    catalog.update = (fn) => {
      updates += 1;
      if (updates === 3) {
        const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
        return Promise.reject(new ArchiveError('ARCHIVE_IO_FAILED', { path: 'catalog.json', location: join(dir, 'catalog.json'), operation: 'write' }, { cause: enospc }));
      }
      return update(fn);
    };
    const { collector, archiver } = archiverFor(catalog, store, 2000);
    const collecting = collector.run().catch(() => undefined);
    const err = await archiver.run().catch((e: unknown) => e);
    await collector.stop();
    await collecting;
    expect(err).toMatchObject({ code: 'ARCHIVE_IO_FAILED', retryable: true });
    expect((err as Error).message).toContain(join(dir, 'catalog.json'));
    expect((err as Error).message).toContain('ENOSPC');
    expect(await unreferenced(store, catalog)).toEqual([]);
  });

  it('the archiver removes, when it starts, segment and snapshot files no catalog generation names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-orphans-'));
    dirs.push(dir);
    const store = new FsBlobStore(dir);
    const catalog = new CatalogStore(dir);
    await catalog.init('test');
    const kept = await writeSegment(store, [makeEvent(1, { increment: 1 })]);
    await catalog.update((c) => void c.segments.push(kept));
    // A kill between the segment's file and its catalog update, and a half-built snapshot.
    const orphan = await writeSegment(store, [makeEvent(2, { increment: 2 })]);
    await store.put('snapshots/copy-x/shop/orders-00000.avro', Buffer.from('partial copy'));
    expect(await unreferenced(store, catalog)).toEqual([orphan.file.path]);
    const { collector, archiver } = archiverFor(catalog, store, 10);
    const archiving = archiver.run();
    const collecting = collector.run();
    await new Promise((r) => setTimeout(r, 300));
    await collector.stop();
    await collecting;
    await archiving;
    expect(await unreferenced(store, catalog)).toEqual([]);
    expect(await store.exists(kept.file.path)).toBe(true);
    expect(await store.list('snapshots/copy-x/')).toEqual([]);
  });
});
