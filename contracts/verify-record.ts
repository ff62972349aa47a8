/**
 * What the last verification found, kept in the archive beside the catalog
 * (verify.json, replaced whole by an atomic put on a folder and on S3), so
 * `rewind status`, the metrics endpoint and an operator see when the archive
 * was last checked and what was bad. Written by `rewind verify` and by the
 * scheduled verification of the long-running processes. A damaged file also
 * becomes a gap in the catalog (contracts/catalog.ts): `gaps` lists those,
 * and `gapsInCatalog` says whether they are there yet (a verify run while an
 * archiver holds the catalog leaves them to that archiver, which adds them).
 */
import { z } from 'zod';
import { gapSchema } from './catalog.js';
import { durationMs } from './config.js';

export const VERIFY_RECORD_FILE = 'verify.json';
export const VERIFY_RECORD_FORMAT = 1;

export const verifyProblemSchema = z.strictObject({
  path: z.string().min(1),
  /** What holds the file: `segment <id>` or `snapshot <id> <ns>`. */
  owner: z.string(),
  code: z.string().min(1),
  message: z.string(),
});

export const verifyRecordSchema = z.strictObject({
  formatVersion: z.literal(VERIFY_RECORD_FORMAT),
  /** When the verification finished. */
  verifiedAt: z.iso.datetime(),
  startedAt: z.iso.datetime(),
  /** `command`: rewind verify; `schedule`: the scheduled verification of up or archive. */
  by: z.enum(['command', 'schedule']),
  /** Every catalogued file, or a sample of them (the next run continues where this one stopped). */
  scope: z.enum(['all', 'sample']),
  catalogGeneration: z.number().int().nonnegative(),
  /** Files in the catalog, and how many of them this run checked. */
  catalogFiles: z.number().int().nonnegative(),
  filesChecked: z.number().int().nonnegative(),
  bytesChecked: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  problems: z.array(verifyProblemSchema),
  /** The gaps the damaged files make (already in the catalog, or to be added: gapsInCatalog). */
  gaps: z.array(gapSchema),
  gapsInCatalog: z.boolean(),
  /** Where a sampled run stopped, in the catalog's files sorted by path: the next sample starts there. */
  cursor: z.number().int().nonnegative(),
});

export type VerifyProblem = z.infer<typeof verifyProblemSchema>;
export type VerifyRecord = z.infer<typeof verifyRecordSchema>;

/** Scheduled verification inside `rewind up` and `rewind archive`. */
export const scheduledVerifySchema = z
  .strictObject({
    everyMs: durationMs.nullable().default(null).meta({
      description: 'Verify the archive on a schedule inside this process, this often (e.g. 6h); the result is recorded in the archive, shown by `rewind status` and the metrics.',
      defaultMeans: 'no scheduled verification: only `rewind verify` checks the files',
    }),
    sampleFiles: z.number().int().min(1).nullable().default(null).meta({
      description: 'Files checked per scheduled run, continuing where the last run stopped (so every file is checked in turn); null: every file each run.',
      defaultMeans: 'every catalogued file on each run',
    }),
  })
  .meta({ description: 'Scheduled verification: re-hashing archive files from inside the long-running processes.' });

export type ScheduledVerifyConfig = z.infer<typeof scheduledVerifySchema>;
