/**
 * The catalog: per source, what the archive holds and what it can restore.
 * Stored as JSON (catalog.json), replaced atomically on every update.
 * Positions are written as `seconds.increment.index` strings.
 */
import { z } from 'zod';
import { parsePosition } from './position.js';
import type { Position } from './position.js';

export const CATALOG_FORMAT_VERSION = 1;

export const positionString = z
  .string()
  .regex(/^\d+\.\d+\.\d+$/, 'expected seconds.increment.index')
  .refine((s) => {
    try {
      parsePosition(s);
      return true;
    } catch {
      return false;
    }
  }, 'position out of range');

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a hex sha256');
const namespaceName = z.string().min(1);

/** A snapshot's name: a letter or digit, then letters, digits, `.`, `_` or `-`; at most 100 characters (it is typed on command lines). */
export const SNAPSHOT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const snapshotName = z.string().regex(SNAPSHOT_NAME_PATTERN, 'expected a snapshot name: a letter or digit, then letters, digits, ".", "_" or "-" (at most 100)');

/** One file in the blob store: path relative to the archive root, verified by sha256. */
export const fileRefSchema = z.strictObject({
  path: z.string().min(1),
  sha256,
  bytes: z.number().int().nonnegative(),
});

export const segmentEntrySchema = z.strictObject({
  id: z.string().min(1),
  file: fileRefSchema,
  first: positionString,
  last: positionString,
  count: z.number().int().nonnegative(),
  codec: z.enum(['null', 'deflate', 'zstandard']),
  /** Events per namespace, so a selective restore can skip segments. */
  namespaces: z.record(namespaceName, z.number().int().nonnegative()),
  createdAt: z.iso.datetime(),
});

export const collectionMetadataSchema = z.strictObject({
  ns: namespaceName,
  /** Canonical extended JSON of listIndexes output. */
  indexes: z.array(z.record(z.string(), z.unknown())),
  /** Canonical extended JSON of the collection options (listCollections `options`). */
  options: z.record(z.string(), z.unknown()),
  uuid: z.string().optional(),
});

export const snapshotNamespaceSchema = z.strictObject({
  ns: namespaceName,
  files: z.array(fileRefSchema),
  count: z.number().int().nonnegative(),
  metadata: collectionMetadataSchema,
});

export const snapshotEntrySchema = z.strictObject({
  id: z.string().min(1),
  /** The state of every namespace after applying every event at or before this position. */
  position: positionString,
  kind: z.enum(['initial-copy', 'compaction']),
  namespaces: z.array(snapshotNamespaceSchema),
  createdAt: z.iso.datetime(),
  /**
   * Given by `rewind backup --name` (an on-demand snapshot), unique in the catalog; `restore
   * --at-snapshot <name>` restores it. Optional: catalogs written before names existed read as they are.
   */
  name: snapshotName.optional(),
});

export const gapSchema = z.strictObject({
  /** Last position known to be complete before the gap. */
  from: positionString,
  /** First position known to be complete again (a new base was taken there). */
  to: positionString.optional(),
  reason: z.string().min(1),
  recordedAt: z.iso.datetime(),
});

const objectIdHex = z.string().regex(/^[0-9a-f]{24}$/, 'expected an ObjectId as 24 hex digits');

/**
 * What a deployment says about itself (services/collector/deployment-identity.ts):
 * a replica set's name and the id its configuration was given when it was
 * initiated (replSetGetConfig `settings.replicaSetId`), or a sharded cluster's
 * id (`config.version` `clusterId`). Restore compares a target's identity with
 * the ones an archive recorded, never URI text. A standalone, or a server
 * that does not let rewind read them, has no identity ('standalone' /
 * 'unknown', never recorded in a catalog).
 */
export const deploymentIdentitySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('replica-set'), setName: z.string().min(1), replicaSetId: objectIdHex.optional() }),
  z.strictObject({ kind: z.literal('sharded'), clusterId: objectIdHex.optional() }),
  z.strictObject({ kind: z.literal('standalone') }),
  z.strictObject({ kind: z.literal('unknown'), reason: z.string() }),
]);

/** A deployment the archive captured, as it said at capture time. */
export const capturedDeploymentSchema = z.strictObject({
  identity: deploymentIdentitySchema,
  firstSeenAt: z.iso.datetime(),
});

export const catalogSchema = z.strictObject({
  formatVersion: z.literal(CATALOG_FORMAT_VERSION),
  sourceId: z.string().min(1),
  /** Increases by one on every committed update. */
  generation: z.number().int().nonnegative(),
  updatedAt: z.iso.datetime(),
  snapshots: z.array(snapshotEntrySchema),
  segments: z.array(segmentEntrySchema),
  collections: z.array(collectionMetadataSchema),
  gaps: z.array(gapSchema),
  /** Latest position up to which the archive is complete (heartbeats advance it when nothing changes). */
  durable: positionString.optional(),
  /** Collector's resume point (canonical extended JSON of the resume token), committed with what it covers. */
  resumeToken: z.record(z.string(), z.unknown()).optional(),
  /** The deployments captured into this archive (normally one), recorded when capture starts. */
  deployments: z.array(capturedDeploymentSchema).optional(),
});

export type FileRef = z.infer<typeof fileRefSchema>;
export type SegmentEntry = z.infer<typeof segmentEntrySchema>;
export type CollectionMetadata = z.infer<typeof collectionMetadataSchema>;
export type SnapshotNamespace = z.infer<typeof snapshotNamespaceSchema>;
export type SnapshotEntry = z.infer<typeof snapshotEntrySchema>;
export type Gap = z.infer<typeof gapSchema>;
export type Catalog = z.infer<typeof catalogSchema>;
export type DeploymentIdentity = z.infer<typeof deploymentIdentitySchema>;
export type CapturedDeployment = z.infer<typeof capturedDeploymentSchema>;

/** The restorable window: from the oldest snapshot to the latest durable position. */
export interface RestorableWindow {
  earliest: Position;
  latest: Position;
}
