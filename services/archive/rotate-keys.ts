/**
 * `rewind keys rotate`: re-wraps the data key of every encrypted file under
 * one master key, without reading or rewriting a single encrypted file. For
 * each file: unwrap its data key through an envelope whose master key is
 * loaded, write the envelope under the target key, check that it opens, and
 * only then remove the file's other envelopes (so the old key can be
 * retired). Idempotent: a rerun after an interruption finishes the rest.
 */
import { isArchiveError } from './archive-errors.js';
import type { BlobStore } from './blob-store.js';
import { KEYS_PREFIX, envelopeDataKeyId, envelopePath, unwrapDataKey, wrapDataKey } from './key-envelopes.js';
import type { Keyring } from './keyring.js';

export interface RotateReport {
  to: string;
  files: number;
  rewrapped: number;
  alreadyUnderTarget: number;
  envelopesRemoved: number;
  problems: { path: string; code: string; message: string }[];
}

/** Files with envelopes, and the master key ids of each, from one listing of keys/. */
async function envelopesByFile(store: BlobStore): Promise<Map<string, string[]>> {
  const byFile = new Map<string, string[]>();
  for (const p of await store.list(KEYS_PREFIX)) {
    const m = /^keys\/(.+)\/([^/]+)\.json$/.exec(p);
    if (!m) continue;
    const file = m[1] as string;
    byFile.set(file, [...(byFile.get(file) ?? []), m[2] as string]);
  }
  return byFile;
}

export async function rotateKeys(store: BlobStore, keyring: Keyring, to: string, onProgress?: (done: number, total: number) => void): Promise<RotateReport> {
  const target = keyring.get(to);
  const report: RotateReport = { to, files: 0, rewrapped: 0, alreadyUnderTarget: 0, envelopesRemoved: 0, problems: [] };
  if (!target) {
    report.problems.push({ path: '', code: 'ARCHIVE_KEY_MISSING', message: `the target key ${JSON.stringify(to)} is not loaded` });
    return report;
  }
  const byFile = await envelopesByFile(store);
  report.files = byFile.size;
  let done = 0;
  for (const [file, ids] of byFile) {
    try {
      if (ids.includes(to)) {
        // Already wrapped for the target; make sure that envelope opens before dropping the others.
        await unwrapDataKey(store, file, await envelopeDataKeyId(store, file, to), to, target);
        report.alreadyUnderTarget++;
      } else {
        const from = ids.find((id) => keyring.has(id));
        if (from === undefined) {
          report.problems.push({ path: file, code: 'ARCHIVE_KEY_MISSING', message: `wrapped only by ${ids.map((i) => JSON.stringify(i)).join(', ')}, none of them loaded` });
          continue;
        }
        const dekId = await envelopeDataKeyId(store, file, from);
        const dek = await unwrapDataKey(store, file, dekId, from, keyring.get(from) as Buffer);
        await store.put(envelopePath(file, to), wrapDataKey(file, dekId, dek, to, target));
        await unwrapDataKey(store, file, dekId, to, target);
        report.rewrapped++;
      }
      for (const id of ids.filter((i) => i !== to)) {
        await store.delete(envelopePath(file, id));
        report.envelopesRemoved++;
      }
    } catch (err) {
      report.problems.push({ path: file, code: isArchiveError(err) ? err.code : 'INTERNAL', message: err instanceof Error ? err.message : String(err) });
    } finally {
      onProgress?.(++done, byFile.size);
    }
  }
  return report;
}
