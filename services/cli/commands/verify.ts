/**
 * `rewind verify`: checks the catalog against its own checksum, re-hashes
 * every file the catalog names and reports each bad or missing one by name;
 * exit code 3 when any is bad (VERIFY_DAMAGE_FOUND), 1 when the catalog itself
 * is refused (changed outside rewind) or cannot be read.
 * Wiring and formatting only; the checks live in services/archive.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { archiveAccessFromEnv } from '../../../contracts/runtime-config.js';
import { openArchiveAt, verifyArchive } from '../../archive/index.js';
import type { CatalogIntegrity, CatalogStore, VerifyReport } from '../../archive/index.js';
import { RewindError } from '../../../contracts/errors.js';
import { archiveDir, fail, formatBytes, printJson } from './archive-output.js';
import type { CommandIo } from './archive-output.js';

interface VerifyFlags {
  archive?: string;
  json?: boolean;
}

function human(root: string, r: VerifyReport, generation: number, integrity: CatalogIntegrity, objectStore: boolean): string {
  const lines = [
    integrity === 'verified'
      ? `catalog generation ${generation}: matches its checksum`
      : objectStore
        ? `catalog generation ${generation}: no checksum (catalogs on an object store keep none: each generation is a create-only object)`
        : `catalog generation ${generation}: no checksum yet (written by an older rewind; the next update adds one)`,
    `verified ${r.files} file(s) of ${root}: ${r.ok} ok (${formatBytes(r.bytes)}), ${r.problems.length} bad or missing`,
  ];
  for (const p of r.problems) lines.push(`BAD ${p.path} (${p.owner}): ${p.code}: ${p.message}`);
  return `${lines.join('\n')}\n`;
}

export function registerVerifyCommand(program: Command, io: CommandIo): Command {
  return program
    .command('verify')
    .description('re-hash every archive file the catalog names; report each bad or missing file (exit 3 if any)')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--json', 'print JSON')
    .action(async (flags: VerifyFlags) => {
      const json = flags.json === true;
      let report: VerifyReport;
      let root: string;
      let checked: Awaited<ReturnType<CatalogStore['readChecked']>>;
      let objectStore: boolean;
      let store: ReturnType<typeof openArchiveAt>['store'];
      try {
        const archive = openArchiveAt(archiveDir(io, 'verify', json, flags.archive), archiveAccessFromEnv());
        root = archive.root;
        objectStore = archive.location.kind !== 'fs';
        checked = await archive.catalog.readChecked();
        const catalog = checked.catalog;
        store = archive.store;
        // A progress bar only for people watching a terminal.
        const bar = !json && process.stderr.isTTY ? new SingleBar({ stream: process.stderr, clearOnComplete: true }) : null;
        bar?.start(1, 0);
        try {
          report = await verifyArchive(store, catalog, (done, total) => {
            bar?.setTotal(total);
            bar?.update(done);
          });
        } finally {
          bar?.stop();
        }
      } catch (err) {
        fail(io, 'verify', json, err);
      }
      const catalogCheck = { generation: checked.catalog.generation, checksum: checked.integrity };
      if (json) printJson(io, { archive: root, catalog: catalogCheck, ...report });
      else io.stdout(human(root, report, catalogCheck.generation, catalogCheck.checksum, objectStore));
      if (report.problems.length > 0) {
        // The report above names each file; the error adds the verdict and the exit code (3), and nothing more on stdout with --json.
        throw new RewindError('VERIFY_DAMAGE_FOUND', `${report.problems.length} bad or missing file(s) in ${root}`, {
          context: { files: report.files, bad: report.problems.length },
          reported: true,
        });
      }
    });
}
