/**
 * docs/errors.md, generated from contracts/errors.ts's catalog (`npm run
 * docs:errors`): every code with the room that raises it, what it means,
 * whether a retry can help, the CLI's exit code and the HTTP API's status.
 * error-reference.test.ts fails while the committed file differs.
 */
import { ERROR_CATALOG, EXIT } from '../../contracts/errors.js';
import type { ErrorCode, ErrorRoom } from '../../contracts/errors.js';

const ROOMS: readonly [ErrorRoom, string][] = [
  ['any', 'Any room'],
  ['cli', 'The CLI\'s verdicts'],
  ['archive', 'Archive (files, catalog, stores, keys)'],
  ['collector', 'Collector (change stream, initial copy)'],
  ['eventlog', 'Event log (Kafka, embedded)'],
  ['replay', 'Replay engine and planner'],
  ['restore', 'Restore, diff and history'],
  ['app', 'Recovery jobs (scan, backup)'],
];

const EXIT_MEANING: Record<number, string> = {
  [EXIT.OK]: 'done',
  [EXIT.FAILED]: 'the command failed or refused (the archive, the source, the target or the data: the error\'s code says which)',
  [EXIT.USAGE]: 'the command line, a configuration file or an environment value is wrong, found before anything was read or written',
  [EXIT.DAMAGE]: '`verify` found damaged or missing files',
  [EXIT.CRITICAL]: '`status` found the capture in a critical state',
};

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderErrorReference(): string {
  const lines = [
    '# Errors',
    '',
    '<!-- Generated from contracts/errors.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every failure of rewind has a stable code (scripts and the HTTP API branch on it, never on',
    'the message), a message that says what to do, and whether running the same thing again can',
    'help. The CLI prints it once, as `rewind <command>: CODE: message`, then a hint where there is',
    'one, and `(retrying may help)` when a retry can help; with `--json`, stdout holds only',
    '`{"error": {"code", "message", "hint", "retryable", "context"}}`. An unexpected error is',
    '`INTERNAL` (a bug), printed without a stack trace unless `REWIND_DEBUG=1` is set.',
    '',
    '"retryable" is the code\'s default: I/O codes decide it by the errno (a full disk may clear,',
    'a path that is not a folder stays), and `CATALOG_LOCKED` is not retryable when the holder is on',
    'another host. The `retryable` field of the error itself is always the one to trust.',
    '',
    '## Exit codes',
    '',
    '| exit | meaning |',
    '| --- | --- |',
    ...Object.entries(EXIT_MEANING).map(([code, meaning]) => `| ${code} | ${meaning} |`),
    '',
  ];
  const codes = Object.keys(ERROR_CATALOG) as ErrorCode[];
  for (const [room, title] of ROOMS) {
    lines.push(`## ${title}`, '', '| code | meaning | retryable | exit | HTTP |', '| --- | --- | --- | --- | --- |');
    for (const code of codes) {
      const spec = ERROR_CATALOG[code];
      if (spec.room !== room) continue;
      const doc = 'hint' in spec ? `${spec.doc} Hint: ${spec.hint}.` : spec.doc;
      lines.push(`| \`${code}\` | ${cell(doc)} | ${spec.retryable ? 'yes' : 'no'} | ${spec.exitCode} | ${spec.httpStatus} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
