/**
 * Restores one namespace: merges the state at T with the target (plan-actions),
 * writes the changes in unordered batches, and makes each acknowledged batch
 * durable in the job state before the next one starts.
 *
 * Writes are duplicate-safe, so replaying the batch that was in flight when a
 * job died changes nothing: inserts and replaces are `replaceOne` upserts by
 * _id, deletes are by key. missing-only inserts with `insertOne` and treats a
 * duplicate-key refusal as "already there": it must never replace a document
 * that appeared in the target meanwhile.
 */
import { deserialize } from 'bson';
import type { Document } from 'bson';
import { MongoBulkWriteError } from 'mongodb';
import type { AnyBulkWriteOperation, MongoClient, WriteError } from 'mongodb';
import { EXACT_BSON } from '../../contracts/index.js';
import { keyFromJson, keyToJson, keyValue } from './document-keys.js';
import { planActions } from './plan-actions.js';
import type { Action, ActionKind, DocumentScope, RestoreMode } from './plan-actions.js';
import { zeroCounts } from './job-state.js';
import type { ActionCounts, JobStateFile, NamespaceProgress } from './job-state.js';
import type { NamespaceAtT } from './state-source.js';
import { ensureCollection, ensureIndexes, streamSorted, targetCollection, targetFailed } from './target-collections.js';

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
}

const COUNT_FIELD: Record<ActionKind, keyof ActionCounts> = {
  insert: 'inserted',
  replace: 'replaced',
  delete: 'deleted',
  unchanged: 'unchanged',
  kept: 'kept',
};

function writeOp(mode: RestoreMode, action: Action): AnyBulkWriteOperation | null {
  const filter: Document = { _id: keyValue(action.key) };
  switch (action.kind) {
    case 'insert':
    case 'replace': {
      // Decoded without promoting types, so the driver re-encodes the very same bytes.
      const document = deserialize(action.document as Uint8Array, EXACT_BSON);
      if (mode === 'missing-only') return { insertOne: { document } };
      return { replaceOne: { filter, replacement: document, upsert: true } };
    }
    case 'delete':
      return { deleteOne: { filter } };
    default:
      return null;
  }
}

function onlyDuplicateKeys(err: unknown): boolean {
  if (!(err instanceof MongoBulkWriteError)) return false;
  const raw: unknown = err.writeErrors;
  const errors = (Array.isArray(raw) ? raw : [raw]) as WriteError[];
  return errors.length > 0 && errors.every((e) => e.code === 11000) && !err.writeConcernError;
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

  if (!o.dryRun && !progress.prepared) {
    const created = await ensureCollection(o.client, o.targetNs, o.source.metadata);
    report.collectionCreated = created.created;
    report.warnings.push(...created.warnings);
    progress.prepared = true;
    await o.job?.save();
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

  const flush = async () => {
    if (pendingActions === 0) return;
    if (!o.dryRun && ops.length > 0) {
      try {
        await collection.bulkWrite(ops, { ordered: false });
      } catch (err) {
        if (!(o.mode === 'missing-only' && onlyDuplicateKeys(err))) throw targetFailed(`writing to ${o.targetNs}`, err);
      }
    }
    for (const k of Object.keys(pending) as (keyof ActionCounts)[]) progress.counts[k] += pending[k];
    if (lastKey) progress.lastKey = keyToJson(lastKey);
    if (!o.dryRun) await o.job?.save();
    processed += pendingActions;
    o.onProgress?.(o.source.ns, processed);
    ops = [];
    opsBytes = 0;
    pending = zeroCounts();
    pendingActions = 0;
  };

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

  if (!o.dryRun) {
    report.indexes = await ensureIndexes(o.client, o.targetNs, o.source.metadata);
    progress.done = true;
    await o.job?.save();
  }
  return report;
}
