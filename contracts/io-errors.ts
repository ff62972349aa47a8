/**
 * Whether an I/O failure can go away by itself, so that an error may say
 * "retrying may help": a full disk, a busy file, too many open files or a
 * flaky device may; a path that is not a folder, a name too long, a missing
 * permission or a read-only file system stay as they are until someone
 * changes something.
 */
const PERMANENT = new Set(['ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'EACCES', 'EPERM', 'EROFS', 'ELOOP', 'EINVAL', 'ENOENT', 'EEXIST', 'EXDEV', 'ENOTEMPTY', 'EBADF']);

/** The errno code of `err` or of the first cause in its chain that has one. */
export function errnoOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { code, errno, syscall } = e as NodeJS.ErrnoException;
    if (typeof code === 'string' && (typeof errno === 'number' || typeof syscall === 'string')) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the errno is unknown or may clear by itself. */
export function isRetryableIo(err: unknown): boolean {
  const code = errnoOf(err);
  return code === undefined ? true : !PERMANENT.has(code);
}
