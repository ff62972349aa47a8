/**
 * The local paths a capture config names (`archive.dir`, `compaction.tempDir`,
 * `stateFile`), checked right after the configuration and before anything
 * starts: a folder under a file, a missing scratch folder or one inside the
 * archive is a ConfigError naming the field, instead of a failure mid-start.
 */
import { dirname } from 'node:path';
import { parseArchiveLocation } from '../../contracts/archive-location.js';
import { ConfigError } from '../../contracts/config.js';
import { checkExistingFolder, checkFolderToCreate, checkOutputFile, refuseInsideArchive } from '../restore/local-paths.js';

export interface CapturePaths {
  archive?: { dir: string };
  compaction?: { tempDir?: string | undefined };
  stateFile?: string;
}

/** Runs one check; its refusal becomes a ConfigError naming `field`. */
async function asConfig(field: string, check: () => Promise<unknown>): Promise<void> {
  try {
    await check();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError([{ path: field, message: message.startsWith(`${field} `) ? message.slice(field.length + 1) : message }]);
  }
}

export async function checkCapturePaths(config: CapturePaths): Promise<void> {
  // An s3://bucket/prefix archive is no local path: nothing of it to check here, and no local path is inside it.
  const location = config.archive ? parseArchiveLocation(config.archive.dir) : undefined;
  const archiveFolder = location && 'kind' in location && location.kind === 'fs' ? location.dir : undefined;
  if (archiveFolder !== undefined) await asConfig('archive.dir', () => checkFolderToCreate(archiveFolder, 'archive.dir'));
  const tempDir = config.compaction?.tempDir;
  if (tempDir !== undefined) {
    await asConfig('compaction.tempDir', async () => {
      await checkExistingFolder(tempDir, 'compaction.tempDir');
      // Compaction's sorted runs are scratch files: never in the archive.
      await refuseInsideArchive(tempDir, 'compaction.tempDir', archiveFolder);
    });
  }
  const stateFile = config.stateFile;
  if (stateFile !== undefined) {
    await asConfig('stateFile', async () => {
      if (config.archive === undefined) await refuseInsideArchive(stateFile, 'stateFile');
      await checkFolderToCreate(dirname(stateFile), 'the folder of stateFile');
      await checkOutputFile(stateFile, 'stateFile').catch((err: unknown) => {
        // A state file whose folder does not exist yet is created with it.
        if (!(err instanceof Error) || !/does not exist/.test(err.message)) throw err;
      });
    });
  }
}
