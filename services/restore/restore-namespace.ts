/**
 * Restores one namespace: merges the state at T with the target (plan-actions),
 * writes the changes in unordered batches, and makes each acknowledged batch
 * durable in the job state before the next one starts.
 *
 * Writes are duplicate-safe, so replaying the batch that was in flight when a
 * job died ends the same:
 * - overwrite: inserts and replaces are `replaceOne` upserts by _id, deletes
 *   are by key;
 * - into-empty: `insertOne` (the target was verified empty and belongs to
 *   the job; an insert costs the server less than an upsert). A duplicate-key
 *   refusal can only be a document this job wrote before it was killed; it is
 *   rewritten with a `replaceOne` upsert, so the end state is exact whatever it
 *   held;
 * - missing-only: `insertOne`, and a duplicate-key refusal means "already
 *   there": it must never replace a document that appeared meanwhile.
 */
import type { Document } from 'bson';
import { MongoBulkWriteError } from 'mongodb';
import type { AnyBulkWriteOperation, MongoClient, WriteError } from 'mongodb';
import { documentForDriver } from './driver-document.js';
import { keyFromJson, keyToJson, keyValue } from './document-keys.js';
import { planActions } from './plan-actions.js';
import type { Action, ActionKind, DocumentScope, RestoreMode } from './plan-actions.js';
import { zeroCounts } from './job-state.js';
import type { ActionCounts, JobStateFile, NamespaceProgress } from './job-state.js';
import type { NamespaceAtT } from './state-source.js';
import { ensureIndexes, streamSorted, targetCollection, targetFailed } from './target-collections.js';
import type { MetadataOutcome } from './target-collections.js';

export interface NamespaceReport {
  ns: string;
  target: string;
  counts: ActionCounts;
  /** Up to `sampleSize` keys per kind (canonical Extended JSON of _id). */
  samples: Record<ActionKind, unknown[]>;
  collectionCreated: boolean;
  indexes: string[];
  warnings: string[];
  /** true when a previous run of this job had already finished it. */
  fromEarlierRun: boolean;
}

export interface NamespaceRunOptions {
  client: MongoClient;
  source: NamespaceAtT;
  targetNs: string;
  mode: RestoreMode;
  scope: DocumentScope;
  dryRun: boolean;
  job: JobStateFile | null;
  batchSize: number;
  batchBytes: number;
  sampleSize: number;
  onProgress?: (ns: string, processed: number) => void;
  /** Batches written at once within the namespace (default 2). */
  writeDepth?: number;
  /** What preparing the collection did (restore-job.ts creates collections first, one at a time). */
  prepared?: MetadataOutcome;
}

const COUNT_FIELD: Record<ActionKind, keyof ActionCounts> = {
  insert: 'inserted',
  replace: 'replaced',
  delete: 'deleted',
  unchanged: 'unchanged',
  kept: 'kept',
};

function writeOp(mode: RestoreMode, action: Action): AnyBulkWriteOperation | null {
  switch (action.kind) {
    case 'insert':
    case 'replace': {
      // Values the driver encodes back to the archive's very bytes (field order included: driver-document.ts).
      const document = documentForDriver(action.document as Uint8Array);
      // An insert needs no filter: decoding the key again for every document cost the into-empty path.
      if (mode === 'overwrite') {
        const filter: Document = { _id: document._id as unknown };
        return { replaceOne: { filter, replacement: document, upsert: true } };
      }
      return { insertOne: { document } };
    }
    case 'delete': {
      const filter: Document = { _id: keyValue(action.key) };
      return { deleteOne: { filter } };
    }
    default:
      return null;
  }
}

/** The indexes of the operations refused for a duplicate key, or null when anything else failed. */
function duplicateKeyIndexes(err: unknown): number[] | null {
  if (!(err instanceof MongoBulkWriteError)) return null;
  const raw: unknown = err.writeErrors;
  const errors = (Array.isArray(raw) ? raw : [raw]) as WriteError[];
  if (errors.length === 0 || err.writeConcernError || !errors.every((e) => e.code === 11000)) return null;
  return errors.map((e) => e.index);
}

/** Rewrites inserts refused as duplicates with replaceOne upserts (into-empty after a resume). */
function asUpserts(ops: readonly AnyBulkWriteOperation[], indexes: readonly number[]): AnyBulkWriteOperation[] {
  return indexes.map((i) => {
    const op = ops[i];
    if (!op || !('insertOne' in op)) throw new Error(`operation ${i} of the batch is not an insert`);
    const document = op.insertOne.document as Document;
    const filter: Document = { _id: document._id as unknown };
    return { replaceOne: { filter, replacement: document, upsert: true } };
  });
}

export async function restoreNamespace(o: NamespaceRunOptions): Promise<NamespaceReport> {
  const progress: NamespaceProgress = o.job ? o.job.namespace(o.source.ns, o.targetNs) : { target: o.targetNs, prepared: false, done: false, counts: zeroCounts() };
  const report: NamespaceReport = {
    ns: o.source.ns,
    target: o.targetNs,
    counts: progress.counts,
    samples: { insert: [], replace: [], delete: [], unchanged: [], kept: [] },
    collectionCreated: false,
    indexes: [],
    warnings: [],
    fromEarlierRun: progress.done,
  };
  if (progress.done) return report;

  if (o.prepared) {
    report.collectionCreated = o.prepared.created;
    report.warnings.push(...o.prepared.warnings);
  }

  const collection = targetCollection(o.client, o.targetNs);
  const after = progress.lastKey === undefined ? undefined : keyFromJson(progress.lastKey);
  const actions = planActions({
    mode: o.mode,
    archive: o.source.records(),
    target: o.mode === 'into-empty' ? null : streamSorted(collection, { batchSize: o.batchSize }),
    scope: o.scope,
    ...(after ? { after } : {}),
  });

  let ops: AnyBulkWriteOperation[] = [];
  let opsBytes = 0;
  let pending = zeroCounts();
  let pendingActions = 0;
  let lastKey: Uint8Array | null = null;
  let processed = 0;
  // Up to `writeDepth` batches are written while the next one is read and decoded;
  // a batch's progress is recorded only after it and every batch before it are
  // acknowledged, so the recorded key never passes an unwritten document.
  const writeDepth = Math.max(1, o.writeDepth ?? 2);
  const window: Promise<void>[] = [];
  let lastCommit: Promise<void> = Promise.resolve();

  const write = async (batch: AnyBulkWriteOperation[]) => {
    try {
      await collection.bulkWrite(batch, { ordered: false });
    } catch (err) {
      const duplicates = o.mode === 'overwrite' ? null : duplicateKeyIndexes(err);
      if (!duplicates) throw targetFailed(`writing to ${o.targetNs}`, err);
      if (o.mode === 'into-empty') {
        try {
          await collection.bulkWrite(asUpserts(batch, duplicates), { ordered: false });
        } catch (again) {
          throw targetFailed(`writing to ${o.targetNs}`, again);
        }
      }
    }
  };

  const flush = async () => {
    if (pendingActions === 0) return;
    const batch = ops;
    const counts = pending;
    const actionsInBatch = pendingActions;
    const batchLastKey = lastKey;
    ops = [];
    opsBytes = 0;
    pending = zeroCounts();
    pendingActions = 0;
    while (window.length >= writeDepth) await window.shift();
    const written = !o.dryRun && batch.length > 0 ? write(batch) : Promise.resolve();
    written.catch(() => undefined); // observed; rethrown through this batch's commit
    const previous = lastCommit;
    const commit = (async () => {
      await previous;
      await written;
      for (const k of Object.keys(counts) as (keyof ActionCounts)[]) progress.counts[k] += counts[k];
      if (batchLastKey) progress.lastKey = keyToJson(batchLastKey);
      if (!o.dryRun) await o.job?.save();
      processed += actionsInBatch;
      o.onProgress?.(o.source.ns, processed);
    })();
    commit.catch(() => undefined); // observed; rethrown by the next await of it
    lastCommit = commit;
    window.push(commit);
  };

  try {
    for await (const action of actions) {
      pending[COUNT_FIELD[action.kind]]++;
      pendingActions++;
      lastKey = action.key;
      const samples = report.samples[action.kind];
      if (samples.length < o.sampleSize) samples.push(keyToJson(action.key));
      if (!o.dryRun) {
        const op = writeOp(o.mode, action);
        if (op) {
          ops.push(op);
          opsBytes += action.document?.byteLength ?? action.key.byteLength;
        }
      }
      // Progress is recorded at batch boundaries even when nothing is written, so a
      // resume never rescans a long unchanged stretch from the start.
      if (ops.length >= o.batchSize || opsBytes >= o.batchBytes || pendingActions >= o.batchSize * 4) await flush();
    }
    await flush();
  } finally {
    // Never leave a write running behind a failure of the read side.
    await Promise.allSettled(window);
  }
  await lastCommit;

  if (!o.dryRun) {
    report.indexes = await ensureIndexes(o.client, o.targetNs, o.source.metadata);
    progress.done = true;
    await o.job?.save();
  }
  return report;
}
