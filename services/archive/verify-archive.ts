/**
 * Re-hashes every file the catalog names and reports each bad or missing one,
 * and each encrypted file left without a key envelope (no key could open it).
 * Needs no key. Used by `rewind verify` and the scheduled verification
 * (services/app/verify.ts); a restore verifies the files it reads on its own.
 * A file that is bad (damaged, truncated, missing, or without any key) makes
 * a gap (damageGaps); one that could not be read now (I/O, a store
 * unreachable) is reported but makes none: a retry can still find it sound.
 */
// The contracts modules themselves, not their index (which brings avsc): `rewind status` reads damage gaps.
import type { Catalog, FileRef, Gap } from '../../contracts/catalog.js';
import { INDEX_MAX, comparePositions, formatPosition, parsePosition, position } from '../../contracts/position.js';
import type { Position } from '../../contracts/position.js';
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

export interface NamedFile {
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
  return verifyFiles(store, catalogFiles(catalog), onFile);
}

/** Verifies `files` (all of a catalog's, or a sample); stops between files when `signal` aborts. */
export async function verifyFiles(
  store: BlobStore,
  files: readonly NamedFile[],
  onFile?: (done: number, total: number, path: string) => void,
  signal?: AbortSignal,
): Promise<VerifyReport> {
  const report: VerifyReport = { files: files.length, bytes: 0, ok: 0, problems: [] };
  let done = 0;
  // One listing for all files: the paths that have at least one envelope.
  const enveloped = new Set((await store.list(KEYS_PREFIX)).flatMap((p) => /^keys\/(.+)\/[^/]+\.json$/.exec(p)?.slice(1, 2) ?? []));
  for (const { ref, owner } of files) {
    signal?.throwIfAborted();
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

/** Problems that mean the file cannot be used (a retry will not help), as opposed to one that could not be read now. */
const DAMAGE: ReadonlySet<string> = new Set([
  'ARCHIVE_CHECKSUM_MISMATCH',
  'ARCHIVE_TRUNCATED',
  'ARCHIVE_LENGTH_MISMATCH',
  'ARCHIVE_FILE_MISSING',
  'ARCHIVE_KEY_MISSING',
]);

export function isDamage(problem: Pick<FileProblem, 'code'>): boolean {
  return DAMAGE.has(problem.code);
}

/** The position just before `p`: a gap from it covers `p` itself (gaps cover the positions strictly after `from`). */
function justBefore(p: Position): Position {
  if (p.index > 0) return position(p.seconds, p.increment, p.index - 1);
  if (p.increment > 0) return position(p.seconds, p.increment - 1, INDEX_MAX);
  if (p.seconds > 0) return position(p.seconds - 1, 0xffff_ffff, INDEX_MAX);
  return p;
}

/**
 * The gaps the damaged files among `problems` make, in the catalog's shape.
 * A segment's events are lost from its first position until the first intact
 * snapshot at or after its last one (none: the gap stays open). A snapshot's
 * state is lost from its position until the next intact snapshot; a restore
 * there that an older snapshot plus segments could still serve is refused as
 * well (conservative: the planner picks the newest snapshot, never a fallback).
 */
export function damageGaps(catalog: Catalog, problems: readonly FileProblem[], recordedAt: string): Gap[] {
  const bad = new Set(problems.filter(isDamage).map((p) => p.path));
  if (bad.size === 0) return [];
  const intactSnapshots = catalog.snapshots
    .filter((s) => !s.namespaces.some((ns) => ns.files.some((f) => bad.has(f.path))))
    .map((s) => parsePosition(s.position))
    .sort(comparePositions);
  const firstIntactFrom = (p: Position, inclusive: boolean) => intactSnapshots.find((s) => (inclusive ? comparePositions(s, p) >= 0 : comparePositions(s, p) > 0));
  const gaps: Gap[] = [];
  const add = (from: Position, to: Position | undefined, reason: string) => {
    gaps.push({ from: formatPosition(justBefore(from)), ...(to ? { to: formatPosition(to) } : {}), reason, recordedAt });
  };
  const why = (path: string) => problems.find((p) => p.path === path)?.code ?? 'damaged';
  for (const seg of catalog.segments) {
    if (!bad.has(seg.file.path)) continue;
    add(parsePosition(seg.first), firstIntactFrom(parsePosition(seg.last), true), `verify: segment ${seg.id} file ${seg.file.path} is damaged (${why(seg.file.path)}): its ${seg.count} event(s) are lost`);
  }
  for (const snap of catalog.snapshots) {
    const files = snap.namespaces.flatMap((ns) => ns.files.map((f) => f.path)).filter((f) => bad.has(f));
    if (files.length === 0) continue;
    const at = parsePosition(snap.position);
    add(at, firstIntactFrom(at, false), `verify: snapshot ${snap.id} file ${files.join(', ')} is damaged (${why(files[0] as string)}): its state cannot be read`);
  }
  return gaps;
}
