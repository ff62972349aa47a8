/**
 * Whether an I/O failure can go away by itself, so that an error may say
 * "retrying may help": a full disk, a busy file, too many open files or a
 * flaky device may; a path that is not a folder, a name too long, a missing
 * permission or a read-only file system stay as they are until someone
 * changes something.
 */
const PERMANENT = new Set(['ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'EACCES', 'EPERM', 'EROFS', 'ELOOP', 'EINVAL', 'ENOENT', 'EEXIST', 'EXDEV', 'ENOTEMPTY', 'EBADF']);

export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isRetryableIo(err: unknown): boolean {
  const code = errnoOf(err);
  return code === undefined ? true : !PERMANENT.has(code);
}
