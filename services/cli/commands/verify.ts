/**
 * `rewind verify`: re-hashes every file the catalog names and reports each
 * bad or missing one by name; exit code 1 when any is bad. Wiring and
 * formatting only; the checks live in services/archive.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { archiveAccessFromEnv } from '../../../contracts/runtime-config.js';
import { openArchiveAt, verifyArchive } from '../../archive/index.js';
import type { VerifyReport } from '../../archive/index.js';
import { archiveDir, exitFailure, fail, formatBytes, printJson } from './archive-output.js';
import type { CommandIo } from './archive-output.js';

interface VerifyFlags {
  archive?: string;
  json?: boolean;
}

function human(root: string, r: VerifyReport): string {
  const lines = [
    `verified ${r.files} file(s) of ${root}: ${r.ok} ok (${formatBytes(r.bytes)}), ${r.problems.length} bad or missing`,
  ];
  for (const p of r.problems) lines.push(`BAD ${p.path} (${p.owner}): ${p.message}`);
  return `${lines.join('\n')}\n`;
}

export function registerVerifyCommand(program: Command, io: CommandIo): Command {
  return program
    .command('verify')
    .description('re-hash every archive file the catalog names; report each bad or missing file (exit 1 if any)')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--json', 'print JSON')
    .action(async (flags: VerifyFlags) => {
      const json = flags.json === true;
      let report: VerifyReport;
      let root: string;
      try {
        const archive = openArchiveAt(archiveDir(io, 'verify', json, flags.archive), archiveAccessFromEnv());
        root = archive.root;
        const catalog = await archive.catalog.read();
        // A progress bar only for people watching a terminal.
        const bar = !json && process.stderr.isTTY ? new SingleBar({ stream: process.stderr, clearOnComplete: true }) : null;
        bar?.start(1, 0);
        try {
          report = await verifyArchive(archive.store, catalog, (done, total) => {
            bar?.setTotal(total);
            bar?.update(done);
          });
        } finally {
          bar?.stop();
        }
      } catch (err) {
        fail(io, 'verify', json, err);
      }
      if (json) printJson(io, { archive: root, ...report });
      else io.stdout(human(root, report));
      if (report.problems.length > 0) exitFailure(`${report.problems.length} bad or missing file(s)`);
    });
}
