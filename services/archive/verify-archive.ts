/**
 * Re-hashes every file the catalog names and reports each bad or missing one,
 * and each encrypted file left without a key envelope (no key could open it).
 * Needs no key. Used by `rewind verify`; a restore verifies the files it reads
 * on its own.
 */
import type { Catalog, FileRef } from '../../contracts/index.js';
import { isArchiveError } from './archive-errors.js';
import type { ArchiveErrorCode } from './archive-errors.js';
import type { BlobStore } from './blob-store.js';
import { verifyFile } from './checksum.js';
import { isEncrypted } from './file-cipher.js';
import { KEYS_PREFIX } from './key-envelopes.js';

export interface FileProblem {
  path: string;
  /** What holds the file: `segment <id>` or `snapshot <id> <ns>`. */
  owner: string;
  code: ArchiveErrorCode | 'UNKNOWN';
  message: string;
}

export interface VerifyReport {
  files: number;
  bytes: number;
  ok: number;
  problems: FileProblem[];
}

interface NamedFile {
  ref: FileRef;
  owner: string;
}

export function catalogFiles(catalog: Catalog): NamedFile[] {
  const out: NamedFile[] = [];
  for (const s of catalog.snapshots) {
    for (const ns of s.namespaces) for (const ref of ns.files) out.push({ ref, owner: `snapshot ${s.id} ${ns.ns}` });
  }
  for (const seg of catalog.segments) out.push({ ref: seg.file, owner: `segment ${seg.id}` });
  return out;
}

export async function verifyArchive(
  store: BlobStore,
  catalog: Catalog,
  onFile?: (done: number, total: number, path: string) => void,
): Promise<VerifyReport> {
  const files = catalogFiles(catalog);
  const report: VerifyReport = { files: files.length, bytes: 0, ok: 0, problems: [] };
  let done = 0;
  // One listing for all files: the paths that have at least one envelope.
  const enveloped = new Set((await store.list(KEYS_PREFIX)).flatMap((p) => /^keys\/(.+)\/[^/]+\.json$/.exec(p)?.slice(1, 2) ?? []));
  for (const { ref, owner } of files) {
    try {
      let encrypted = false;
      await verifyFile(store, ref, (first) => (encrypted = isEncrypted(first)));
      if (encrypted && !enveloped.has(ref.path)) {
        report.problems.push({
          path: ref.path,
          owner,
          code: 'ARCHIVE_KEY_MISSING',
          message: `${store.locate(ref.path)}: encrypted, but no key envelope is left under ${KEYS_PREFIX}${ref.path}/: no key can open it`,
        });
        onFile?.(++done, files.length, ref.path);
        continue;
      }
      report.ok++;
      report.bytes += ref.bytes;
    } catch (err) {
      report.problems.push({
        path: ref.path,
        owner,
        code: isArchiveError(err) ? err.code : 'UNKNOWN',
        message: err instanceof Error ? err.message : String(err),
      });
    }
    onFile?.(++done, files.length, ref.path);
  }
  return report;
}
