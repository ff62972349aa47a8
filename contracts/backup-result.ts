/**
 * What `rewind backup` (and `GET /api/recovery?action=backup`) returns: the
 * named on-demand snapshot it made, its position, and how to restore it.
 */
import { z } from 'zod';

export const backupResultSchema = z.strictObject({
  kind: z.literal('rewind-backup'),
  version: z.literal(1),
  archive: z.string(),
  name: z.string(),
  /** The catalog's snapshot id. */
  snapshot: z.string(),
  /** seconds.increment.index: every event at or before it is in the snapshot. */
  position: z.string(),
  positionIso: z.string(),
  positionText: z.string(),
  /** The snapshot it was folded from. */
  base: z.strictObject({ id: z.string(), position: z.string() }),
  eventsFolded: z.number().int().nonnegative(),
  namespaces: z.number().int().nonnegative(),
  documents: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  createdAt: z.string(),
  durationMs: z.number().nonnegative(),
  /** `rewind` arguments that restore it (add --target-uri or --source-uri and a mode). */
  restoreWith: z.array(z.string()),
});

export type BackupResult = z.infer<typeof backupResultSchema>;
