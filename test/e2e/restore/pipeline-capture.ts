/**
 * Captures a change source into an archive the way `rewind up` does: the
 * collector (initial copy + change stream) → the embedded event log → the
 * archiver (segments, base snapshot from the copy, compactions by volume),
 * until the archive is durable through a given position.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { comparePositions, parsePosition } from '../../../contracts/index.js';
import type { Catalog, Position } from '../../../contracts/index.js';
import { CatalogStore, FsBlobStore, isArchiveError } from '../../../services/archive/index.js';
import { Archiver } from '../../../services/archiver/archiver.js';
import { Collector } from '../../../services/collector/collector.js';
import { CatalogResumeStore } from '../../../services/collector/resume-store.js';
import type { ChangeSource, CopySource } from '../../../services/collector/source-port.js';
import { EmbeddedLog } from '../../../services/eventlog/embedded-log.js';
import type { NamespaceScope } from '../../../services/collector/namespace-filter.js';

const silent = pino({ level: 'silent' });

async function readCatalog(catalogs: CatalogStore): Promise<Catalog | null> {
  try {
    return await catalogs.read();
  } catch (err) {
    if (isArchiveError(err, 'CATALOG_NOT_FOUND')) return null;
    throw err;
  }
}

export interface CapturedArchive {
  root: string;
  store: FsBlobStore;
  catalog: Catalog;
  remove: () => Promise<void>;
}

export async function captureThroughPipeline(options: {
  source: ChangeSource;
  copySource: CopySource;
  /** Stops once the archive is durable at or past this position (and `also` holds). */
  through: () => Position | null;
  also?: (c: Catalog) => boolean;
  compactAfterEvents: number;
  timeoutMs?: number;
  /** Which namespaces the collector captures (default: everything). */
  scope?: NamespaceScope;
  /** Called with the catalog each time it is polled (e.g. to wait for the initial copy). */
  onCatalog?: (c: Catalog | null) => void;
}): Promise<CapturedArchive> {
  const root = await mkdtemp(join(tmpdir(), 'rewind-captured-'));
  const store = new FsBlobStore(root);
  const catalogs = new CatalogStore(root);
  const log = new EmbeddedLog();
  const collector = new Collector({
    source: options.source,
    copySource: options.copySource,
    producer: log.producer,
    resumeStore: new CatalogResumeStore(() => readCatalog(catalogs)),
    log: silent,
    pollWaitMs: 20,
    heartbeatMs: 50,
    ...(options.scope ? { scope: options.scope } : {}),
  });
  const archiver = new Archiver({
    consumer: log.consumer,
    store,
    catalog: catalogs,
    sourceId: 'captured',
    log: silent,
    segmentMaxBytes: 16 * 1024,
    segmentMaxAgeMs: 100,
    codec: 'deflate',
    compaction: { everyMs: null, afterEvents: options.compactAfterEvents, memoryBytes: 1024 * 1024 },
    retention: { windowMs: null },
    pollWaitMs: 20,
    logEnded: () => log.ended,
  });
  const archiving = archiver.run();
  const collecting = collector.run();
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const done = (c: Catalog | null) => {
    const through = options.through();
    return !!c?.durable && through !== null && comparePositions(parsePosition(c.durable), through) >= 0 && (options.also?.(c) ?? true);
  };
  try {
    for (;;) {
      const current = await readCatalog(catalogs);
      options.onCatalog?.(current);
      if (done(current)) break;
      for (const [who, st] of [['archiver', archiver.status()], ['collector', collector.status()]] as const) {
        if (st.state === 'failed') throw new Error(`the ${who} failed: ${st.lastError ?? 'unknown error'}`);
      }
      if (Date.now() > deadline) throw new Error(`capture did not reach the end in time (collector ${JSON.stringify(collector.status())}, archiver ${JSON.stringify(archiver.status())})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await collector.stop();
    await collecting;
    await archiving;
  }
  return { root, store, catalog: await catalogs.read(), remove: () => rm(root, { recursive: true, force: true }) };
}
