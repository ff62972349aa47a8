/**
 * The local paths of a capture process (`archive.dir`, `compaction.tempDir`,
 * `stateFile`), checked right after the configuration and before anything
 * starts: a folder under a file, a missing scratch folder or one inside the
 * archive stops the command as a configuration error (exit 2) naming the
 * field, instead of failing mid-start.
 */
import { RewindError } from '../../../contracts/errors.js';
import { dirname } from 'node:path';
import { parseArchiveLocation } from '../../../contracts/archive-location.js';
import { checkExistingFolder, checkFolderToCreate, checkOutputFile, refuseInsideArchive } from '../../restore/local-paths.js';
import type { CaptureIo } from './up.js';

export interface CapturePaths {
  archive?: { dir: string };
  compaction?: { tempDir?: string | undefined };
  stateFile?: string;
}

export async function checkCapturePaths(_command: string, _io: CaptureIo, config: CapturePaths): Promise<void> {
  // An s3://bucket/prefix archive is no local path: nothing of it to check here, and no local path is inside it.
  const location = config.archive ? parseArchiveLocation(config.archive.dir) : undefined;
  const archiveFolder = location && 'kind' in location && location.kind === 'fs' ? location.dir : undefined;
  try {
    if (archiveFolder !== undefined) await checkFolderToCreate(archiveFolder, 'archive.dir');
    if (config.compaction?.tempDir !== undefined) {
      await checkExistingFolder(config.compaction.tempDir, 'compaction.tempDir');
      // Compaction's sorted runs are scratch files: never in the archive.
      await refuseInsideArchive(config.compaction.tempDir, 'compaction.tempDir', archiveFolder);
    }
    if (config.stateFile !== undefined && config.archive === undefined) await refuseInsideArchive(config.stateFile, 'stateFile');
    if (config.stateFile !== undefined) {
      await checkFolderToCreate(dirname(config.stateFile), 'the folder of stateFile');
      await checkOutputFile(config.stateFile, 'stateFile').catch((err: unknown) => {
        // A state file whose folder does not exist yet is created with it.
        if (!(err instanceof Error) || !/does not exist/.test(err.message)) throw err;
      });
    }
  } catch (err) {
    throw new RewindError('CONFIG_INVALID', `invalid configuration: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
