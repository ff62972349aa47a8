/**
 * The filesystem half of `rewind scan`: backup files under the roots it was
 * given, found by globs, without ever leaving those roots.
 *
 * - Each root is resolved to its real path once; that set is the boundary.
 *   A symbolic link is resolved and followed only when its real target lies
 *   inside a root; one pointing outside is reported (`link-outside-roots`,
 *   with its target) and never opened.
 * - Folders are descended at most `maxDepth` levels below a root; a folder cut
 *   off is reported (`depth-limit`) rather than silently ignored.
 * - A folder reached twice (a link to an ancestor, two links to one place) is
 *   read once and the second way reported as `link-loop`; a link chain that
 *   loops on itself (ELOOP) is reported the same way.
 * - Anything that cannot be read (a folder or file without permission, a
 *   broken link) is listed with its errno in `unreadable`, never dropped.
 *
 * Globs match the path relative to its root (scan-glob.ts). A folder holding
 * `.bson` files beside `.metadata.json` files is a mongodump folder, reported
 * as one entry instead of its files.
 */
import { constants } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { errnoOf } from '../archive/io-errors.js';
import { globMatcher } from './scan-glob.js';

/** The seed scripts' patterns, plus CSV, NDJSON and BSON (mongodump folders and change-event files). */
export const DEFAULT_SCAN_GLOBS: readonly string[] = [
  '**/backup*.json',
  '**/export*.json',
  '**/*_data.json',
  '**/*.csv',
  '**/*.ndjson',
  '**/*.jsonl',
  '**/*.bson',
  '**/*.bson.gz',
];

export const DEFAULT_SCAN_MAX_DEPTH = 8;

export interface FoundFile {
  /** As the person gave it: the root joined with the path below it (links not resolved). */
  path: string;
  /** Where it really is (inside a root). */
  realPath: string;
  stats: Stats;
}

export interface FoundFolder {
  path: string;
  realPath: string;
  stats: Stats;
  /** Collections: `coll` → its `.bson` or `.bson.gz` file's real path. */
  collections: Map<string, string>;
}

export interface SearchResult {
  roots: string[];
  files: FoundFile[];
  dumps: FoundFolder[];
  unreadable: { path: string; code: string; problem: string }[];
  skipped: { path: string; reason: 'link-outside-roots' | 'link-loop' | 'depth-limit'; target?: string }[];
}

export interface SearchOptions {
  roots: readonly string[];
  globs?: readonly string[];
  maxDepth?: number;
  signal?: AbortSignal;
  onFolder?: (path: string) => void;
}

const isInside = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

const DUMP_DATA = /^(.+)\.bson(?:\.gz)?$/;
const DUMP_METADATA = /^(.+)\.metadata\.json(?:\.gz)?$/;

function problemOf(err: unknown): { code: string; problem: string } {
  const code = errnoOf(err) ?? 'EIO';
  const problem =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOENT'
        ? 'a broken link (its target does not exist)'
        : code === 'ELOOP'
          ? 'a link loop'
          : err instanceof Error
            ? err.message
            : String(err);
  return { code, problem };
}

/** Opens and closes the file: readable now, by this process (permissions checked by the kernel, not by mode bits). */
async function checkReadable(realPath: string): Promise<void> {
  const handle = await open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  await handle.close();
}

export async function searchBackupFiles(options: SearchOptions): Promise<SearchResult> {
  const maxDepth = options.maxDepth ?? DEFAULT_SCAN_MAX_DEPTH;
  const matches = globMatcher(options.globs ?? DEFAULT_SCAN_GLOBS);
  const result: SearchResult = { roots: [], files: [], dumps: [], unreadable: [], skipped: [] };
  const realRoots: string[] = [];
  const givenRoots: { given: string; real: string }[] = [];
  for (const root of options.roots) {
    const given = resolve(root);
    result.roots.push(given);
    try {
      const real = await realpath(given);
      if (!(await stat(real)).isDirectory()) {
        result.unreadable.push({ path: given, code: 'ENOTDIR', problem: 'not a folder' });
        continue;
      }
      realRoots.push(real);
      givenRoots.push({ given, real });
    } catch (err) {
      result.unreadable.push({ path: given, ...problemOf(err) });
    }
  }
  const inRoots = (real: string) => realRoots.some((r) => isInside(real, r));
  const visitedFolders = new Set<string>();
  const seenFiles = new Set<string>();

  async function visit(dir: string, realDir: string, rel: string, depth: number): Promise<void> {
    if (options.signal?.aborted) return;
    if (visitedFolders.has(realDir)) {
      result.skipped.push({ path: dir, reason: 'link-loop', target: realDir });
      return;
    }
    visitedFolders.add(realDir);
    options.onFolder?.(dir);
    let entries: Dirent[];
    try {
      entries = await readdir(realDir, { withFileTypes: true });
    } catch (err) {
      result.unreadable.push({ path: dir, ...problemOf(err) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const dumpData = new Map<string, string>();
    const dumpMeta = new Set<string>();
    const subfolders: { path: string; real: string; rel: string }[] = [];
    const candidates: { path: string; real: string; rel: string; stats: Stats }[] = [];
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const entryRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      let real = join(realDir, entry.name);
      let stats: Stats;
      try {
        if (entry.isSymbolicLink()) {
          real = await realpath(real);
          if (!inRoots(real)) {
            result.skipped.push({ path, reason: 'link-outside-roots', target: real });
            continue;
          }
        }
        stats = await stat(real);
      } catch (err) {
        const p = problemOf(err);
        if (p.code === 'ELOOP') result.skipped.push({ path, reason: 'link-loop' });
        else if (matches(entryRel) || entry.isDirectory()) result.unreadable.push({ path, ...p });
        continue;
      }
      if (stats.isDirectory()) {
        subfolders.push({ path, real, rel: entryRel });
        continue;
      }
      if (!stats.isFile()) continue;
      const data = DUMP_DATA.exec(entry.name);
      if (data) dumpData.set(data[1] as string, real);
      const meta = DUMP_METADATA.exec(entry.name);
      if (meta) dumpMeta.add(meta[1] as string);
      if (matches(entryRel)) candidates.push({ path, real, rel: entryRel, stats });
    }
    // A mongodump folder: data files with their metadata beside them. Its files are the folder's.
    const collections = new Map([...dumpData].filter(([coll]) => dumpMeta.has(coll)));
    const isDump = collections.size > 0;
    if (isDump) {
      try {
        result.dumps.push({ path: dir, realPath: realDir, stats: await stat(realDir), collections });
      } catch (err) {
        result.unreadable.push({ path: dir, ...problemOf(err) });
      }
    }
    for (const c of candidates) {
      if (isDump && DUMP_DATA.test(basename(c.real)) && [...collections.values()].includes(c.real)) continue;
      if (seenFiles.has(c.real)) continue;
      seenFiles.add(c.real);
      try {
        await checkReadable(c.real);
        result.files.push({ path: c.path, realPath: c.real, stats: c.stats });
      } catch (err) {
        result.unreadable.push({ path: c.path, ...problemOf(err) });
      }
    }
    for (const f of subfolders) {
      if (depth + 1 > maxDepth) {
        result.skipped.push({ path: f.path, reason: 'depth-limit' });
        continue;
      }
      await visit(f.path, f.real, f.rel, depth + 1);
    }
  }

  for (const { given, real } of givenRoots) await visit(given, real, '', 0);
  return result;
}
