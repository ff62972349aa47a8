/**
 * `rewind diff`: the state the archive says a namespace had at T against the
 * live collection, both streamed in document-key order and merged: keys only
 * in the archive are missing, keys only live are unexpected, keys on both
 * sides whose contents differ are diverged.
 *
 * Content is compared on the exact BSON bytes (equal bytes ⇔ equal sha256, and
 * comparing the bytes costs less than hashing both); the report carries both
 * sides' sha256 for each diverged key. The report is a file that
 * `rewind restore --mode missing-only --keys-from <report>` applies.
 */
import { createHash } from 'node:crypto';
import type { Collection } from 'mongodb';
import { compareDocumentKeys, formatPosition, positionToIso } from '../../contracts/index.js';
import type { Position } from '../../contracts/index.js';
import { documentKeyOf, keyToJson } from './document-keys.js';
import type { NamespaceAtT } from './state-source.js';
import { streamSorted } from './target-collections.js';

export const DIFF_REPORT_KIND = 'rewind-diff';

export interface DiffReport {
  kind: typeof DIFF_REPORT_KIND;
  version: 1;
  /** The archive namespace compared. */
  ns: string;
  /** The live namespace it was compared with. */
  liveNs: string;
  at: string;
  atIso: string;
  generatedAt: string;
  durationMs: number;
  counts: { archive: number; live: number; identical: number; missing: number; unexpected: number; diverged: number };
  /** true when more keys differed than `maxKeys`: the lists hold the first ones in key order. */
  truncated: boolean;
  /** Canonical Extended JSON of each _id. */
  missing: unknown[];
  unexpected: unknown[];
  diverged: { key: unknown; archiveSha256: string; liveSha256: string }[];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export async function diffNamespace(options: {
  source: NamespaceAtT;
  position: Position;
  live: Collection;
  batchSize?: number;
  maxKeys?: number;
  onProgress?: (compared: number) => void;
}): Promise<DiffReport> {
  const started = Date.now();
  const maxKeys = options.maxKeys ?? 1_000_000;
  const report: DiffReport = {
    kind: DIFF_REPORT_KIND,
    version: 1,
    ns: options.source.ns,
    liveNs: options.live.namespace,
    at: formatPosition(options.position),
    atIso: positionToIso(options.position),
    generatedAt: new Date(started).toISOString(),
    durationMs: 0,
    counts: { archive: 0, live: 0, identical: 0, missing: 0, unexpected: 0, diverged: 0 },
    truncated: false,
    missing: [],
    unexpected: [],
    diverged: [],
  };
  const listed = () => report.missing.length + report.unexpected.length + report.diverged.length;
  const note = (push: () => void) => {
    if (listed() < maxKeys) push();
    else report.truncated = true;
  };

  const archive = options.source.records()[Symbol.asyncIterator]();
  const live = streamSorted(options.live, { batchSize: options.batchSize ?? 1000 })[Symbol.asyncIterator]();
  let a = await archive.next();
  let l = await live.next();
  let liveKey = l.done ? null : documentKeyOf(l.value);
  let compared = 0;
  while (!a.done || !l.done) {
    const c = a.done ? 1 : l.done ? -1 : compareDocumentKeys(a.value.key, liveKey as Uint8Array);
    if (c < 0 && !a.done) {
      report.counts.archive++;
      report.counts.missing++;
      const key = a.value.key;
      note(() => report.missing.push(keyToJson(key)));
      a = await archive.next();
    } else if (c > 0 && !l.done) {
      report.counts.live++;
      report.counts.unexpected++;
      const key = liveKey as Uint8Array;
      note(() => report.unexpected.push(keyToJson(key)));
      l = await live.next();
      liveKey = l.done ? null : documentKeyOf(l.value);
    } else if (!a.done && !l.done) {
      report.counts.archive++;
      report.counts.live++;
      if (Buffer.compare(a.value.document, l.value) === 0) report.counts.identical++;
      else {
        report.counts.diverged++;
        const entry = { key: keyToJson(a.value.key), archiveSha256: sha256(a.value.document), liveSha256: sha256(l.value) };
        note(() => report.diverged.push(entry));
      }
      a = await archive.next();
      l = await live.next();
      liveKey = l.done ? null : documentKeyOf(l.value);
    }
    if (++compared % 10_000 === 0) options.onProgress?.(compared);
  }
  options.onProgress?.(compared);
  report.durationMs = Date.now() - started;
  return report;
}
