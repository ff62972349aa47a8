/**
 * Local paths a restore or diff writes to (`--temp-dir`, `--job-dir`,
 * `--out`), checked before the archive is read: a typo is refused with its
 * name at once, instead of as a stack trace after the whole archive was
 * folded.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errnoOf } from '../archive/index.js';
import { RestoreError } from './errors.js';

const bad = (what: string, message: string) => new RestoreError('BAD_OPTIONS', `${what} ${message}`, { details: { option: what } });

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
