/**
 * Local paths a restore or diff writes to (`--temp-dir`, `--job-dir`,
 * `--out`), checked before the archive is read: a typo is refused with its
 * name at once, instead of as a stack trace after the whole archive was
 * folded. None of them may lie inside an archive (`diff --out
 * ARCHIVE/catalog.json` overwrote the catalog; scratch folders there are
 * files the archive does not know): an archive is a folder holding a
 * catalog, found by walking up from the path with links resolved.
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArchiveLocation } from '../../contracts/archive-location.js';
import { CATALOG_FILE, CATALOG_LOCK_FILE, CATALOG_SUMS_FILE, errnoOf } from '../archive/index.js';
import { RestoreError } from './errors.js';

const bad = (what: string, message: string) => new RestoreError('BAD_OPTIONS', `${what} ${message}`, { context: { option: what } });

/** 'under-file': a part of the path is a file (ENOTDIR). */
async function kind(path: string): Promise<'dir' | 'file' | 'missing' | 'under-file' | { errno: string }> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') return 'under-file';
    return { errno: code ?? 'unknown error' };
  }
}

async function writable(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** `path` with links resolved as far as it exists (the rest appended as given). */
async function realish(path: string): Promise<string> {
  const rest: string[] = [];
  for (let at = resolve(path); ; at = dirname(at)) {
    try {
      return join(await realpath(at), ...rest.reverse());
    } catch {
      if (dirname(at) === at) return resolve(path);
      rest.push(at.slice(dirname(at).length).replace(/^[/\\]/, ''));
    }
  }
}

/** The archive folder `path` lies in (a folder holding a catalog, or `archiveRoot`), or null. */
export async function archiveContaining(path: string, archiveRoot?: string): Promise<string | null> {
  const real = await realish(path);
  // An s3://bucket/prefix archive holds no local path.
  const location = archiveRoot === undefined ? undefined : parseArchiveLocation(archiveRoot);
  if (archiveRoot !== undefined && location !== undefined && 'kind' in location && location.kind === 'fs') {
    const root = await realish(archiveRoot);
    if (isInside(real, root)) return root;
  }
  for (let at = real; ; at = dirname(at)) {
    for (const marker of [CATALOG_FILE, CATALOG_SUMS_FILE, CATALOG_LOCK_FILE]) if (await exists(join(at, marker))) return at;
    if (dirname(at) === at) return null;
  }
}

/** Refuses a path inside an archive: a command never writes there (BAD_OPTIONS, naming the archive). */
export async function refuseInsideArchive(path: string, what: string, archiveRoot?: string): Promise<void> {
  const archive = await archiveContaining(path, archiveRoot);
  if (archive !== null) throw bad(what, `${resolve(path)} is inside the archive ${archive}: outputs and scratch files never go into an archive; give a path outside it`);
}

/** A folder that must exist and be writable (`--temp-dir`: runs are made in a new folder inside it). */
export async function checkExistingFolder(dir: string, what: string): Promise<string> {
  const path = resolve(dir);
  const k = await kind(path);
  if (k === 'missing') throw bad(what, `${path} does not exist: give an existing folder`);
  if (k === 'file') throw bad(what, `${path} is a file, not a folder`);
  if (k === 'under-file') throw bad(what, `${path} cannot be a folder: a part of it is a file`);
  if (typeof k === 'object') throw bad(what, `${path} cannot be used (${k.errno})`);
  if (!(await writable(path))) throw bad(what, `${path} is not writable`);
  return path;
}

/** A folder that may not exist yet (`--job-dir`: created when missing): it, or its nearest existing ancestor, must be a writable folder. */
export async function checkFolderToCreate(dir: string, what: string): Promise<string> {
  const path = resolve(dir);
  for (let at = path; ; at = dirname(at)) {
    const k = await kind(at);
    if (k === 'missing' || k === 'under-file') {
      if (dirname(at) === at) throw bad(what, `${path} cannot be created`);
      continue;
    }
    if (k === 'file') throw bad(what, `${path} cannot be a folder: ${at} is a file`);
    if (typeof k === 'object') throw bad(what, `${path} cannot be used (${k.errno} at ${at})`);
    if (!(await writable(at))) throw bad(what, `${path} cannot be created or written: ${at} is not writable`);
    return path;
  }
}

/** A file to write (`--out`): its folder must exist and be writable, and it must not be a folder. */
export async function checkOutputFile(file: string, what: string): Promise<string> {
  const path = resolve(file);
  const k = await kind(path);
  if (k === 'dir') throw bad(what, `${path} is a folder: give a file name`);
  if (k === 'under-file') throw bad(what, `${path} cannot be written: a part of its folder is a file`);
  if (typeof k === 'object') throw bad(what, `${path} cannot be written (${k.errno})`);
  const parent = dirname(path);
  const p = await kind(parent);
  if (p === 'missing') throw bad(what, `${path} cannot be written: the folder ${parent} does not exist`);
  if (p !== 'dir') throw bad(what, `${path} cannot be written: ${parent} is not a folder`);
  if (!(await writable(parent))) throw bad(what, `${path} cannot be written: ${parent} is not writable`);
  return path;
}
