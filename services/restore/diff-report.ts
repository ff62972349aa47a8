/**
 * Reading a diff report back for `rewind restore --keys-from <report>`: which
 * namespace, at which position, and which keys. missing-only takes the
 * missing keys (it never touches existing documents); overwrite takes every
 * listed key, so diverged documents are replaced and unexpected ones deleted.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parsePosition } from '../../contracts/index.js';
import type { Position } from '../../contracts/index.js';
import { DIFF_REPORT_KIND } from './diff.js';
import { keyFromJson } from './document-keys.js';
import { RestoreError } from './errors.js';
import type { RestoreMode } from './plan-actions.js';

const reportSchema = z.object({
  kind: z.literal(DIFF_REPORT_KIND),
  version: z.literal(1),
  ns: z.string().min(1),
  at: z.string(),
  truncated: z.boolean(),
  missing: z.array(z.unknown()),
  unexpected: z.array(z.unknown()),
  diverged: z.array(z.object({ key: z.unknown() })),
});

export interface KeysFromReport {
  ns: string;
  at: Position;
  keys: Uint8Array[];
  truncated: boolean;
}

export async function readKeysFromReport(path: string, mode: RestoreMode): Promise<KeysFromReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new RestoreError('BAD_REPORT', `cannot read the diff report ${path}`, { cause });
  }
  let report: z.infer<typeof reportSchema>;
  try {
    report = reportSchema.parse(JSON.parse(text));
  } catch (cause) {
    throw new RestoreError('BAD_REPORT', `${path} is not a rewind diff report`, { cause });
  }
  if (mode === 'into-empty') throw new RestoreError('BAD_OPTIONS', '--keys-from works with --mode missing-only or overwrite');
  const listed = mode === 'missing-only' ? report.missing : [...report.missing, ...report.diverged.map((d) => d.key), ...report.unexpected];
  let at: Position;
  try {
    at = parsePosition(report.at);
  } catch (cause) {
    throw new RestoreError('BAD_REPORT', `${path}: invalid position ${JSON.stringify(report.at)}`, { cause });
  }
  return { ns: report.ns, at, keys: listed.map(keyFromJson), truncated: report.truncated };
}
