/**
 * The one error family reaches the user whole: every code of the catalog, as
 * each room raises it, is printed by the CLI's printer with its code once, its
 * retryable flag and its exit code; `--json` prints the error object and
 * nothing else; and a real command (through runCli) prints a catalogued error
 * with its code once (the old `CATALOG_NOT_FOUND: CATALOG_NOT_FOUND:`).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../contracts/config.js';
import { ERROR_CATALOG, EXIT, RewindError } from '../../contracts/errors.js';
import { BsonFormatError } from '../../contracts/bson-elements.js';
import { ExtendedJsonError } from '../../contracts/ejson-to-bson.js';
import { PositionFormatError } from '../../contracts/position.js';
import { ARCHIVE_CODES, ArchiveError } from '../archive/archive-errors.js';
import { tempDir } from '../archive/testing/samples.js';
import { COLLECTOR_CODES, CollectorError } from '../collector/collector-errors.js';
import { ChangeEventNormalizeError, NORMALIZE_CODES } from '../collector/normalize-event.js';
import { RawEventFormatError } from '../collector/raw-change-event.js';
import { EVENTLOG_CODES, EventLogError } from '../eventlog/eventlog-errors.js';
import { BsonBytesError } from '../replay/bson-bytes.js';
import { REPLAY_CODES, ReplayError } from '../replay/errors.js';
import { UpdateApplyError } from '../replay/update-paths.js';
import { RESTORE_CODES, RestoreError } from '../restore/errors.js';
import { RECOVERY_CODES, RecoveryError } from '../app/recovery-errors.js';
import { runRewind } from '../../test/e2e/restore/cli-runner.js';
import { asRewindError, printError } from './print-error.js';

/** A context whose every field reads as a short string: enough for any code's message to be worded. */
const anyContext = new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? `ctx-${key}` : undefined), has: () => true }) as never;

/** One error of every code, built the way its room builds it. */
function raised(): RewindError[] {
  return [
    ...ARCHIVE_CODES.map((code) => new ArchiveError(code, anyContext)),
    ...COLLECTOR_CODES.map((code) => new CollectorError(code, anyContext)),
    ...EVENTLOG_CODES.map((code) => new EventLogError(code, anyContext)),
    ...NORMALIZE_CODES.map((code) => new ChangeEventNormalizeError(code, 'ev-1', 'operationType', 'is missing')),
    ...REPLAY_CODES.map((code) => new ReplayError(code, 'replay refused')),
    ...RESTORE_CODES.map((code) => new RestoreError(code, 'restore refused')),
    ...RECOVERY_CODES.map((code) => new RecoveryError(code, 'backup refused')),
    new RawEventFormatError('not BSON'),
    new UpdateApplyError('a.b', 'a path through a scalar'),
    new BsonBytesError('bad length'),
    new BsonFormatError('bad length'),
    new ExtendedJsonError('unexpected token', 3),
    new PositionFormatError('12.x', 'not a number'),
    new ConfigError([{ path: 'mongo.uri', message: 'expected a mongodb:// URI' }]),
    new RewindError('INTERNAL', 'a bug'),
    new RewindError('MONGODB_ERROR', 'MongoServerError: refused'),
    new RewindError('VERIFY_DAMAGE_FOUND', '1 bad file'),
    new RewindError('STATUS_CRITICAL', 'capture stopped'),
  ];
}

/** `command` null: an error no command caught. */
function printed(err: unknown, json: boolean, command: string | null = 'test') {
  let stdout = '';
  let stderr = '';
  const exit = printError({ stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {} }, command ?? undefined, err, json);
  return { exit, stdout, stderr };
}

const occurrences = (text: string, word: string) => text.split(word).length - 1;

describe('every code of the catalog reaches the CLI printer', () => {
  it('is raised by some room (no code in the catalog that nothing raises, none raised outside it)', () => {
    const raisedCodes = new Set(raised().map((e) => e.code));
    expect([...raisedCodes].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
  });

  it.each(raised().map((e) => [e.name, e.code, e] as const))('%s %s: the code once, its retryable flag, its exit code, and --json alone on stdout', (_name, code, err) => {
    const spec = ERROR_CATALOG[code];
    expect(err).toBeInstanceOf(RewindError);
    expect(err).toMatchObject({ code, retryable: spec.retryable, exitCode: spec.exitCode, httpStatus: spec.httpStatus });
    // The message never leads with the code: the printer adds it.
    expect(err.message.startsWith(`${code}:`)).toBe(false);

    const human = printed(err, false);
    expect(human.exit).toBe(spec.exitCode);
    expect(human.stdout).toBe('');
    expect(human.stderr.startsWith(`rewind test: ${code}: `)).toBe(true);
    expect(occurrences(human.stderr, `${code}:`)).toBe(1);
    expect(human.stderr.includes('(retrying may help)')).toBe(spec.retryable);
    if ('hint' in spec) expect(human.stderr).toContain(`\n  ${spec.hint}`);
    expect(human.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(2);

    const json = printed(err, true);
    expect(json.exit).toBe(spec.exitCode);
    expect(json.stderr).toBe('');
    const body = JSON.parse(json.stdout) as { error: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'context', 'hint', 'message', 'retryable']);
    expect(body.error).toMatchObject({ code, message: err.message, retryable: spec.retryable, hint: 'hint' in spec ? spec.hint : null });
  });

  it('keeps a flag a room decided per case (an errno), in both forms', () => {
    const enospc = Object.assign(new Error('no space left'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    const enotdir = Object.assign(new Error('not a directory'), { code: 'ENOTDIR', errno: -20, syscall: 'open' });
    const ctx = { path: 'p', location: '/a/p', operation: 'write' };
    expect(printed(new ArchiveError('ARCHIVE_IO_FAILED', ctx, { cause: enospc }), false).stderr).toContain('(retrying may help)');
    expect(printed(new ArchiveError('ARCHIVE_IO_FAILED', ctx, { cause: enotdir }), false).stderr).not.toContain('retrying');
    expect(JSON.parse(printed(new RestoreError('TEMP_IO', 'cannot write', { cause: enotdir }), true).stdout)).toMatchObject({ error: { code: 'TEMP_IO', retryable: false } });
    expect(JSON.parse(printed(new ReplayError('REPLAY_RUN_IO', 'cannot write run', { cause: enospc }), true).stdout)).toMatchObject({ error: { code: 'REPLAY_RUN_IO', retryable: true } });
  });

  it('prints the code once even for a message of the old shape ("CODE: …")', () => {
    const old = Object.assign(new Error('CATALOG_NOT_FOUND: /x: no catalog'), { code: 'CATALOG_NOT_FOUND' });
    const r = printed(old, false, 'catalog');
    expect(r.stderr).toBe(`rewind catalog: CATALOG_NOT_FOUND: /x: no catalog\n  ${ERROR_CATALOG.CATALOG_NOT_FOUND.hint}\n`);
    expect(r.exit).toBe(EXIT.FAILED);
    expect(printed(new RewindError('CATALOG_NOT_FOUND', 'CATALOG_NOT_FOUND: /x: no catalog'), false).stderr).not.toContain('CATALOG_NOT_FOUND: CATALOG_NOT_FOUND');
  });

  it('prints anything else as INTERNAL (exit 1), the stack only with REWIND_DEBUG; driver errors by their name', () => {
    const r = printed(new TypeError('boom'), false, null);
    expect(r.exit).toBe(1);
    expect(r.stderr).toBe(`rewind: INTERNAL: TypeError: boom\n  ${ERROR_CATALOG.INTERNAL.hint}\n`);
    let debug = '';
    printError({ stdout: () => undefined, stderr: (t) => void (debug += t), env: { REWIND_DEBUG: '1' } }, 'x', new RangeError('deep'), false);
    expect(debug).toMatch(/^\s+at /m);
    const network = Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoNetworkError' });
    expect(asRewindError(network)).toMatchObject({ code: 'MONGODB_ERROR', retryable: true, exitCode: 1 });
    const auth = Object.assign(new Error('bad auth'), { name: 'MongoServerError', code: 18 });
    expect(asRewindError(auth)).toMatchObject({ code: 'MONGODB_ERROR', retryable: false });
    // An errno code is no catalogued code: an ENOENT no room wrapped is a bug.
    expect(asRewindError(Object.assign(new Error('gone'), { code: 'ENOENT' })).code).toBe('INTERNAL');
  });

  it('with --json, a command that printed its report already ends with its exit code and prints nothing more', () => {
    const r = printed(new RewindError('VERIFY_DAMAGE_FOUND', '2 bad files', { reported: true }), true, 'verify');
    expect(r).toEqual({ exit: EXIT.DAMAGE, stdout: '', stderr: '' });
  });
});

describe('through runCli: one printer for every command', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('rewind-print-error-'));
  });
  afterAll(async () => cleanup());

  it.each(['status', 'catalog', 'verify', 'history', 'restore'])('%s of a missing archive: CATALOG_NOT_FOUND once, exit 1, and the JSON error alone with --json', async (command) => {
    const extra = command === 'history' ? ['--ns', 'a.b', '--id', '1'] : command === 'restore' ? ['--target-uri', 'mongodb://127.0.0.1:1'] : [];
    const missing = join(dir, 'none');
    const human = await runRewind([command, '--archive', missing, ...extra], {});
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(new RegExp(`^rewind ${command}: CATALOG_NOT_FOUND: .*no catalog`));
    expect(occurrences(human.stderr, 'CATALOG_NOT_FOUND')).toBe(1);
    expect(human.stderr).toContain(ERROR_CATALOG.CATALOG_NOT_FOUND.hint);
    const json = await runRewind([command, '--archive', missing, ...extra, '--json'], {});
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'CATALOG_NOT_FOUND', message: expect.stringContaining('no catalog') as unknown, hint: ERROR_CATALOG.CATALOG_NOT_FOUND.hint, retryable: false, context: expect.objectContaining({ path: 'catalog.json' }) as unknown },
    });
  });

  it('a configuration error of up: CONFIG_INVALID once, exit 2', async () => {
    const r = await runRewind(['up', '--source-uri', 'mongodb://u:p@127.0.0.1:1,/', '--archive', join(dir, 'up')], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rewind up: CONFIG_INVALID: invalid configuration: mongo\.uri: /);
    expect(occurrences(r.stderr, 'CONFIG_INVALID')).toBe(1);
  });
});
