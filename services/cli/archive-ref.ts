/**
 * The archive a command names (`--archive`, else REWIND_ARCHIVE_DIR), parsed
 * into the app layer's ArchiveRef with the S3 settings and encryption keys of
 * the environment (REWIND_S3_*, REWIND_ENCRYPTION_KEY(S)).
 */
import { parseArchiveLocation } from '../../contracts/archive-location.js';
import { archiveAccessFromEnv } from '../../contracts/runtime-config.js';
import { ArchiveError } from '../archive/index.js';
import type { ArchiveRef } from '../archive/index.js';
import { RestoreError } from '../restore/errors.js';
import { archiveDirFromEnv } from './archive-dir-env.js';

export function archiveRefFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ArchiveRef {
  const name = flag ?? archiveDirFromEnv(env);
  if (!name) throw new RestoreError('BAD_OPTIONS', 'give --archive <dir> (or set REWIND_ARCHIVE_DIR), e.g. --archive /var/lib/rewind/archive', { context: { field: 'archive' } });
  const location = parseArchiveLocation(name);
  if ('error' in location) throw new ArchiveError('ARCHIVE_LOCATION_INVALID', { location: name, reason: location.error });
  return { location, access: archiveAccessFromEnv(env) };
}
