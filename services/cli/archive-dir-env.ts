/**
 * The one environment variable that names the archive folder, for every
 * command: the same name the runtime configuration maps to `archive.dir`, so
 * an operator sets it once for `up` and for `restore`.
 */
export const ARCHIVE_DIR_ENV = 'REWIND_ARCHIVE_DIR';

export function archiveDirFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env[ARCHIVE_DIR_ENV];
  return dir === undefined || dir === '' ? undefined : dir;
}
