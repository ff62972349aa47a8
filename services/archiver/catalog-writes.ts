/**
 * The archiver's catalog updates that are not a segment commit: an update
 * that adds files and takes them back when it fails, the source deployment's
 * identity, and a gap.
 */
import type { Logger } from 'pino';
import { compareDeployments, describeDeployment, isIdentifying } from '../../contracts/index.js';
import type { DeploymentIdentity } from '../../contracts/index.js';
import type { BlobStore, CatalogStore } from '../archive/index.js';
import { discardUncatalogued } from './orphan-files.js';

export type CatalogEdit = Parameters<CatalogStore['update']>[0];

export class CatalogWrites {
  constructor(
    private readonly store: BlobStore,
    private readonly catalog: CatalogStore,
    private readonly log: Logger,
  ) {}

  /**
   * A catalog update that adds the files `paths`: when it fails (a full disk), the files it would have
   * catalogued are removed again, so a failed roll leaves no orphan behind (and frees what it took).
   */
  async updateOrDiscard(paths: readonly string[], fn: CatalogEdit): Promise<void> {
    try {
      await this.catalog.update(fn);
    } catch (err) {
      const removed = await discardUncatalogued(this.store, this.catalog, paths);
      if (removed.length > 0) this.log.error({ files: removed, err }, 'catalog update failed: removed the files it would have catalogued');
      throw err;
    }
  }

  /** Records the source deployment's identity once (re-deliveries and restarts find it there). */
  async recordDeployment(identity: DeploymentIdentity): Promise<void> {
    if (!isIdentifying(identity)) return;
    const known = (await this.catalog.read()).deployments ?? [];
    if (known.some((d) => compareDeployments(d.identity, identity) === 'same' || JSON.stringify(d.identity) === JSON.stringify(identity))) return;
    await this.catalog.update((draft) => {
      draft.deployments = [...(draft.deployments ?? []), { identity, firstSeenAt: new Date().toISOString() }];
    });
    this.log.info({ deployment: describeDeployment(identity) }, 'source deployment recorded in the catalog');
  }

  /** Adds the gap (once: a gap re-delivered after a crash is the same gap). */
  async recordGap(from: string, reason: string): Promise<void> {
    await this.catalog.update((draft) => {
      if (!draft.gaps.some((g) => g.from === from && g.reason === reason)) draft.gaps.push({ from, reason, recordedAt: new Date().toISOString() });
    });
    this.log.fatal({ from, reason }, 'GAP recorded in the catalog: nothing between this point and the next base snapshot can be restored');
  }
}
