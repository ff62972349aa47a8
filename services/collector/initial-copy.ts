/**
 * The initial copy: every captured collection, with its indexes and options,
 * read while the change stream is already recording. The copy is fuzzy (each
 * document is read at its own moment), and that is fine: the log holds every
 * event after the copy's start, and replaying them over the copy converges to
 * the exact state (the archiver folds them in before it calls the result a
 * base snapshot). Documents travel through the event log as raw BSON, so the
 * collector never writes archive files itself.
 */
import type { Logger } from 'pino';
import type { LogRecord } from '../eventlog/log-record.js';
import type { NamespaceFilter } from './namespace-filter.js';
import type { CopySource } from './source-port.js';

export interface InitialCopyOptions {
  copyId: string;
  source: CopySource;
  filter: NamespaceFilter;
  publish: (records: LogRecord[]) => Promise<void>;
  log: Logger;
  signal: AbortSignal;
  /** Documents per read batch (and per copy-documents record, at most). */
  batchSize?: number;
  onProgress?: (p: { ns: string; documents: number; collectionsDone: number; collections: number }) => void;
}

export interface InitialCopyResult {
  collections: number;
  documents: number;
}

export async function runInitialCopy(o: InitialCopyOptions): Promise<InitialCopyResult> {
  const all = await o.source.listCollections((db) => o.filter.capturesDb(db));
  const collections = all.filter((c) => {
    const dot = c.ns.indexOf('.');
    return dot > 0 && o.filter.captures(c.ns.slice(0, dot), c.ns.slice(dot + 1));
  });
  o.log.info({ copyId: o.copyId, collections: collections.length }, 'initial copy: listing done');
  let documents = 0;
  let done = 0;
  for (const c of collections) {
    if (o.signal.aborted) break;
    await o.publish([
      {
        kind: 'copy-collection',
        copyId: o.copyId,
        metadata: { ns: c.ns, indexes: c.indexes, options: c.options, ...(c.uuid ? { uuid: c.uuid } : {}) },
      },
    ]);
    let inCollection = 0;
    for await (const batch of o.source.readDocuments(c.ns, { batchSize: o.batchSize ?? 1000, signal: o.signal })) {
      if (o.signal.aborted) break;
      if (batch.length === 0) continue;
      await o.publish([{ kind: 'copy-documents', copyId: o.copyId, ns: c.ns, documents: batch }]);
      inCollection += batch.length;
      documents += batch.length;
      o.onProgress?.({ ns: c.ns, documents, collectionsDone: done, collections: collections.length });
    }
    done += 1;
    o.log.info({ copyId: o.copyId, ns: c.ns, documents: inCollection, indexes: c.indexes.length }, 'initial copy: collection done');
  }
  return { collections: done, documents };
}
