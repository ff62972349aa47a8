/**
 * Test support: the initial copy of a live (wire stand-in) source into a new
 * filesystem archive, as `rewind up` takes it — collector over MongoCopySource
 * with an idle change stream, the embedded log, the archiver — run until the
 * base snapshot is catalogued, then drained.
 */
import { pino } from 'pino';
import type { MongoClient } from 'mongodb';
import { Timestamp } from '../../../contracts/bson.js';
import type { Catalog } from '../../../contracts/index.js';
import { CatalogStore, FsBlobStore } from '../../../services/archive/index.js';
import { Archiver } from '../../../services/archiver/archiver.js';
import { Collector } from '../../../services/collector/collector.js';
import type { NamespaceScope } from '../../../services/collector/namespace-filter.js';
import { MongoCopySource } from '../../../services/collector/mongo-copy-source.js';
import { CatalogResumeStore } from '../../../services/collector/resume-store.js';
import { RecordedChangeSource, eventBytes } from '../../../services/collector/testing/recorded-change-source.js';
import { EmbeddedLog } from '../../../services/eventlog/embedded-log.js';

const silent = pino({ level: 'silent' });

export async function copyIntoArchive(o: { client: MongoClient; dir: string; sourceId: string; scope: NamespaceScope; copyBatchSize?: number }): Promise<{ store: FsBlobStore; catalog: Catalog }> {
  const store = new FsBlobStore(o.dir);
  const catalog = new CatalogStore(o.dir);
  await catalog.init(o.sourceId);
  const log = new EmbeddedLog();
  const collector = new Collector({
    // No change events: the stream is idle while the copy runs (its content is not what these tests are about).
    source: new RecordedChangeSource(eventBytes([{ _id: { _data: '8265000000000000012B04' }, clusterTime: new Timestamp({ t: 1_690_000_000, i: 1 }) }])),
    copySource: new MongoCopySource(o.client),
    producer: log.producer,
    resumeStore: new CatalogResumeStore(() => catalog.read()),
    log: silent,
    scope: o.scope,
    pollWaitMs: 20,
    ...(o.copyBatchSize ? { copyBatchSize: o.copyBatchSize } : {}),
  });
  const archiver = new Archiver({
    consumer: log.consumer,
    store,
    catalog,
    sourceId: o.sourceId,
    log: silent,
    segmentMaxBytes: 1 << 20,
    segmentMaxAgeMs: 100,
    codec: 'deflate',
    compaction: { everyMs: null, afterEvents: null, memoryBytes: 32 << 20 },
    retention: { windowMs: null },
    pollWaitMs: 20,
    logEnded: () => log.ended,
  });
  const running = Promise.all([collector.run(), archiver.run()]);
  const deadline = Date.now() + 30_000;
  while ((await catalog.read()).snapshots.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await collector.stop();
  await running;
  return { store, catalog: await catalog.read() };
}
