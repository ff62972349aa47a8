/**
 * `rewind keys rotate --archive <dir> [--to <key id>]`: re-wraps the data key
 * of every encrypted file under one master key (default: the active key,
 * REWIND_ENCRYPTION_KEY), from whichever loaded key opens it now
 * (REWIND_ENCRYPTION_KEYS). Encrypted files are not read or rewritten; once a
 * file's new envelope opens, its other envelopes are removed, so the old key
 * can be retired. Exit code 1 when any file could not be re-wrapped.
 */
import type { Command } from 'commander';
import { archiveAccessFromEnv } from '../../../contracts/runtime-config.js';
import { openArchiveAt, rotateKeys } from '../../archive/index.js';
import type { RotateReport } from '../../archive/index.js';
import { archiveDir, exitFailure, fail, printJson } from './archive-output.js';
import type { CommandIo } from './archive-output.js';

interface RotateFlags {
  archive?: string;
  to?: string;
  json?: boolean;
}

function human(root: string, r: RotateReport): string {
  const lines = [
    `rotated ${root} to master key ${JSON.stringify(r.to)}: ${r.files} encrypted file(s), ${r.rewrapped} re-wrapped, ` +
      `${r.alreadyUnderTarget} already under it, ${r.envelopesRemoved} old envelope(s) removed, ${r.problems.length} problem(s)`,
  ];
  for (const p of r.problems) lines.push(`FAILED ${p.path || '(archive)'}: ${p.code}: ${p.message}`);
  return `${lines.join('\n')}\n`;
}

export function registerKeysCommand(program: Command, io: CommandIo): Command {
  const keys = program.command('keys').description('manage the master keys of an encrypted archive');
  keys
    .command('rotate')
    .description('re-wrap every file\'s data key under one master key without rewriting encrypted files (keys from REWIND_ENCRYPTION_KEYS)')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--to <key-id>', 'the master key to wrap under (default: REWIND_ENCRYPTION_KEY)')
    .option('--json', 'print JSON')
    .action(async (flags: RotateFlags) => {
      const json = flags.json === true;
      let report: RotateReport;
      let root: string;
      try {
        const access = archiveAccessFromEnv();
        if (!access.encryption) throw new Error('no master keys: set REWIND_ENCRYPTION_KEYS (id=file:/path or id=env:NAME, comma-separated)');
        const to = flags.to ?? access.encryption.key;
        if (!to) throw new Error('give --to <key-id> or set REWIND_ENCRYPTION_KEY');
        const archive = openArchiveAt(archiveDir(io, 'keys rotate', json, flags.archive), access);
        root = archive.root;
        report = await rotateKeys(archive.store, archive.keyring as NonNullable<typeof archive.keyring>, to);
      } catch (err) {
        fail(io, 'keys rotate', json, err);
      }
      if (json) printJson(io, { archive: root, ...report });
      else io.stdout(human(root, report));
      if (report.problems.length > 0) exitFailure(`${report.problems.length} file(s) not re-wrapped`);
    });
  return keys;
}
