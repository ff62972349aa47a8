/**
 * `rewind verify`: the verify job of services/app/verify.ts (every file the
 * catalog names re-hashed, the result recorded in the archive, damaged files
 * made gaps), as lines for people or JSON. Exit code 3 when a file is
 * damaged or missing, 1 when a file could not be read (or the catalog was
 * changed outside rewind), 0 when every file is sound.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { archiveAccessFromEnv } from '../../../contracts/runtime-config.js';
import { runVerify } from '../../app/verify.js';
import type { VerifyResult } from '../../app/verify.js';
import { RewindError } from '../../../contracts/errors.js';
import { archiveDir, fail, formatBytes, printJson } from './archive-output.js';
import type { CommandIo } from './archive-output.js';

interface VerifyFlags {
  archive?: string;
  json?: boolean;
}

function human(r: VerifyResult): string {
  const { generation, integrity } = r.catalog;
  const rec = r.record;
  const lines = [
    integrity === 'verified'
      ? `catalog generation ${generation}: matches its checksum`
      : r.objectStore
        ? `catalog generation ${generation}: no checksum (catalogs on an object store keep none: each generation is a create-only object)`
        : `catalog generation ${generation}: no checksum yet (written by an older rewind; the next update adds one)`,
    `verified ${rec.filesChecked} file(s) of ${r.archive}: ${rec.ok} ok (${formatBytes(rec.bytesChecked)}), ${rec.problems.length} bad or missing`,
  ];
  for (const p of rec.problems) lines.push(`BAD ${p.path} (${p.owner}): ${p.code}: ${p.message}`);
  for (const g of rec.gaps) lines.push(`GAP after ${g.from}${g.to ? ` until ${g.to}` : ' (open)'}: ${g.reason}`);
  if (r.gapsAdded.length > 0) lines.push(`recorded ${r.gapsAdded.length} gap(s) in the catalog: restores across them are refused`);
  if (r.gapsPending) lines.push(`gaps not in the catalog yet: ${r.gapsPending}`);
  lines.push(`result recorded at ${rec.verifiedAt} (rewind status shows it)`);
  return `${lines.join('\n')}\n`;
}

export function registerVerifyCommand(program: Command, io: CommandIo): Command {
  return program
    .command('verify')
    .description('re-hash every archive file the catalog names, record the result, make damaged files gaps (exit 3 on damage)')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--json', 'print JSON')
    .action(async (flags: VerifyFlags) => {
      const json = flags.json === true;
      let result: VerifyResult;
      try {
        const location = archiveDir(io, 'verify', json, flags.archive);
        // A progress bar only for people watching a terminal.
        const bar = !json && process.stderr.isTTY ? new SingleBar({ stream: process.stderr, clearOnComplete: true }) : null;
        bar?.start(1, 0);
        try {
          result = await runVerify({
            archive: { location, access: archiveAccessFromEnv(io.env ?? process.env) },
            scope: { kind: 'all' },
            by: 'command',
            onProgress: ({ done, total }) => {
              bar?.setTotal(total);
              bar?.update(done);
            },
          });
        } finally {
          bar?.stop();
        }
      } catch (err) {
        fail(io, 'verify', json, err);
      }
      const rec = result.record;
      if (json) {
        printJson(io, {
          archive: result.archive,
          catalog: { generation: result.catalog.generation, checksum: result.catalog.integrity },
          files: rec.filesChecked,
          bytes: rec.bytesChecked,
          ok: rec.ok,
          problems: rec.problems,
          gaps: rec.gaps,
          gapsAdded: result.gapsAdded,
          gapsPending: result.gapsPending,
          verifiedAt: rec.verifiedAt,
        });
      } else io.stdout(human(result));
      // The report above names each file; the error adds the verdict and the exit code (3 for damage, 1 for
      // files that could not be read), and nothing more on stdout with --json.
      if (result.damaged) {
        throw new RewindError('VERIFY_DAMAGE_FOUND', `${rec.problems.length} bad or missing file(s) in ${result.archive}: ${rec.gaps.length} gap(s)`, {
          context: { files: rec.filesChecked, bad: rec.problems.length, gaps: rec.gaps.length },
          reported: true,
        });
      }
      if (rec.problems.length > 0) {
        throw new RewindError('ARCHIVE_IO_FAILED', `${rec.problems.length} file(s) of ${result.archive} could not be read (retrying may help)`, { context: { files: rec.filesChecked }, retryable: true, reported: true });
      }
    });
}
