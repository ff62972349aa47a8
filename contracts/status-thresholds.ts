/**
 * The thresholds of `rewind status`'s verdict (OK / WARN / CRIT), read from
 * the `status` key of the same JSON file the capture processes take (so one
 * file configures both), validated like every other key: a typo in a
 * threshold names its field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, durationMs, parseConfig } from './config.js';

const MIN = 60_000;
const DAY = 86_400_000;

const messages = z.number().int().min(1);

export const statusThresholdsSchema = z
  .strictObject({
    lagWarnMs: durationMs.default(5 * MIN).meta({ description: 'WARN when the capture is this far behind the source (now minus the newest captured position\'s time).' }),
    lagCritMs: durationMs.default(30 * MIN).meta({ description: 'CRIT when the capture is this far behind the source.' }),
    durableAgeWarnMs: durationMs.default(5 * MIN).meta({
      description: 'WARN when the latest durable (restorable) point is this old: what a loss of the machine now would cost.',
    }),
    durableAgeCritMs: durationMs.default(30 * MIN).meta({ description: 'CRIT when the latest durable point is this old.' }),
    verifyAgeWarnMs: durationMs.nullable().default(7 * DAY).meta({
      description: 'WARN when the last verification is older than this (or the archive, older than this, was never verified); null: never.',
    }),
    kafkaLagWarn: messages.nullable().default(100_000).meta({ description: "WARN when the archiver's consumer group is this many messages behind the topic; null: never." }),
    kafkaLagCrit: messages.nullable().default(1_000_000).meta({ description: "CRIT when the archiver's consumer group is this many messages behind the topic; null: never." }),
    processStaleMs: durationMs.default(10_000).meta({
      description: 'A capture process whose status file has not moved for this long (at least three refreshes) is hung: alive but not working.',
    }),
  })
  .superRefine((t, ctx) => {
    const pairs = [
      ['lagWarnMs', 'lagCritMs'],
      ['durableAgeWarnMs', 'durableAgeCritMs'],
      ['kafkaLagWarn', 'kafkaLagCrit'],
    ] as const;
    for (const [warn, crit] of pairs) {
      const w = t[warn];
      const c = t[crit];
      if (w !== null && c !== null && w > c) ctx.addIssue({ code: 'custom', path: [warn], message: `must not be above ${crit} (${c})` });
    }
  })
  .meta({ description: "Thresholds of `rewind status`'s verdict: WARN exits 0 (or 4 with --fail-on-warn), CRIT exits 4." });

export type StatusThresholds = z.infer<typeof statusThresholdsSchema>;

export const DEFAULT_STATUS_THRESHOLDS: StatusThresholds = statusThresholdsSchema.parse({});

const statusFileSchema = z.object({ status: statusThresholdsSchema.default(DEFAULT_STATUS_THRESHOLDS) });

/**
 * The thresholds in the `status` key of a JSON config file (the capture
 * processes' own file: its other keys are theirs and are not read here), or
 * the defaults without a file. ConfigError names a bad field.
 */
export function loadStatusThresholds(file: string | undefined): StatusThresholds {
  if (file === undefined) return DEFAULT_STATUS_THRESHOLDS;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${file} as JSON: ${(err as Error).message}` }]);
  }
  return parseConfig(statusFileSchema, json).status;
}
