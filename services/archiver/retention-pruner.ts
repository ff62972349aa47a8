/**
 * Applies a retention plan: the catalog first, the files after, so a crash in
 * between leaves unreferenced files (removed at the next start), never a
 * catalog naming missing ones. Files are only ever deleted, never rewritten.
 */
import type { Logger } from 'pino';
import { deleteFileAndEnvelopes } from '../archive/index.js';
import type { BlobStore, CatalogStore } from '../archive/index.js';
import { planRetention } from './retention.js';
import type { RetentionPlan } from './retention.js';
import type { RetentionPolicy } from './archiver-options.js';

export async function applyRetentionPlan(store: BlobStore, catalog: CatalogStore, plan: RetentionPlan): Promise<void> {
  if (plan.snapshots.length === 0 && plan.segments.length === 0) return;
  const dropSnapshots = new Set(plan.snapshots.map((s) => s.id));
  const dropSegments = new Set(plan.segments.map((s) => s.id));
  await catalog.update((draft) => {
    draft.snapshots = draft.snapshots.filter((s) => !dropSnapshots.has(s.id));
    draft.segments = draft.segments.filter((s) => !dropSegments.has(s.id));
  });
  // With its key envelopes, if the archive is encrypted.
  for (const f of plan.files) await deleteFileAndEnvelopes(store, f.path);
}

/** The archiver's periodic pruning under its policy. */
export class RetentionPruner {
  constructor(
    private readonly store: BlobStore,
    private readonly catalog: CatalogStore,
    private readonly policy: RetentionPolicy,
    private readonly log: Logger,
  ) {}

  async apply(nowMs = Date.now()): Promise<RetentionPlan | null> {
    if (this.policy.windowMs === null) return null;
    const plan = planRetention(await this.catalog.read(), this.policy.windowMs, nowMs);
    if (plan.snapshots.length === 0 && plan.segments.length === 0) return plan;
    await applyRetentionPlan(this.store, this.catalog, plan);
    this.log.info({ snapshots: plan.snapshots.length, segments: plan.segments.length, files: plan.files.length }, 'retention removed what no point in the window needs');
    return plan;
  }
}
