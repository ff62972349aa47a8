/**
 * The bad-input suite's cases: malformed command lines, configuration files
 * and environment values, as a new user types them. Each names the exit code
 * the README documents (2: the input is wrong, found before anything was read
 * or written; 1: refused because of the archive or the target), the error
 * code where the command has one, and what the message must say.
 */

export interface World {
  /** The archive every case reads (hashed before and after). */
  archive: string;
  /** The captured database (in place) and the mapped destination, both on the stand-in (hashed). */
  srcDb: string;
  dstDb: string;
  /** The stand-in's URI, host and port. */
  uri: string;
  host: string;
  port: string;
  /** A scratch folder outside the archive, and a regular file in it. */
  work: string;
  file: string;
  jobDir: string;
  /** A valid diff report of srcDb.people, and malformed ones. */
  report: string;
  badReports: { notJson: string; wrongKind: string; badAt: string; badKey: string };
  /** Configuration files. */
  configs: Record<string, string>;
  /** Positions: the window's ends and one inside the recorded gap. */
  earliest: string;
  latest: string;
  inGap: string;
}

export interface BadInput {
  group: 'restore' | 'diff' | 'history' | 'archive commands' | 'capture flags' | 'environment' | 'config file' | 'usage';
  name: string;
  argv: (w: World) => string[];
  env?: (w: World) => Record<string, string>;
  exit: 1 | 2;
  /** The error code printed (`rewind <cmd>: CODE:` or `{"error": {"code"}}`), where the command has one. */
  code?: string;
  message: (w: World) => RegExp;
  /** Also run with --json: one JSON error on stdout. */
  json?: boolean;
  /** Also run as a real process (stack-trace and exit-code checks of the representative subset). */
  spawn?: boolean;
}

const re = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const lit = (s: string) => () => re(s);

function restoreInto(w: World): string[] {
  return ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--target', w.uri, '--ns-from', `${w.srcDb}.*`, '--ns-to', `${w.dstDb}.*`];
}

const restore = (name: string, extra: (w: World) => string[], exit: 1 | 2, code: string, message: (w: World) => RegExp, more: Partial<BadInput> = {}): BadInput => ({
  group: 'restore',
  name,
  argv: (w) => [...restoreInto(w), ...extra(w)],
  exit,
  code,
  message,
  json: true,
  ...more,
});

const badTargets: [string, string, RegExp][] = [
  ['not a URI', 'notauri', /expected a mongodb:\/\/ or mongodb\+srv:\/\/ URI/],
  ['scheme only', 'mongodb://', /is not a valid MongoDB URI/],
  ['http scheme', 'http://127.0.0.1:27017', /expected a mongodb:\/\//],
  ['empty host in the list', 'mongodb://u:p@127.0.0.1:1,/', /empty host/],
  ['raw @ and / in the password', 'mongodb://user:p@ss/w0rd@host', /percent-encode/],
  ['raw : in the password', 'mongodb://user:pa:ss@host', /percent-encode/],
  ['unknown option', 'mongodb://127.0.0.1:1/?foo=bar', /option foo is not supported/],
  ['port out of range', 'mongodb://127.0.0.1:99999', /not a valid MongoDB URI/],
  ['bad option value', 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=abc', /serverSelectionTimeoutMS/],
  ['option without a value', 'mongodb://127.0.0.1:1/?replicaSet=', /replicaSet/],
  ['unclosed IPv6 host', 'mongodb://[::1', /not a valid MongoDB URI/],
  ['srv with a port', 'mongodb+srv://cluster.example.net:27017', /not a valid MongoDB URI/],
  ['empty', '', /empty value/],
];

export const CASES: BadInput[] = [
  // --- restore: the target URI
  ...badTargets.map(([name, uri, message], i): BadInput => ({
    group: 'restore',
    name: `--target ${name}`,
    argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--target', uri],
    exit: 2,
    code: 'BAD_OPTIONS',
    message: () => new RegExp(`--target(-uri)?: .*${message.source}`),
    json: true,
    spawn: i < 3,
  })),
  ...badTargets.slice(0, 6).map(([name, uri, message]): BadInput => ({
    group: 'restore',
    name: `--source ${name}`,
    argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--source', uri],
    exit: 2,
    code: 'BAD_OPTIONS',
    message: () => new RegExp(`--source(-uri)?: .*${message.source}`),
    json: true,
  })),
  { group: 'restore', name: 'no target and no source', argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir], exit: 2, code: 'BAD_OPTIONS', message: lit('give --target-uri'), json: true, spawn: true },
  { group: 'restore', name: 'no archive', argv: (w) => ['restore', '--target', w.uri], exit: 2, code: 'BAD_OPTIONS', message: lit('give --archive <dir>'), json: true },
  { group: 'restore', name: 'archive folder missing', argv: (w) => ['restore', '--archive', `${w.work}/no-such-archive`, '--job-dir', w.jobDir, '--target', w.uri], exit: 1, code: 'CATALOG_NOT_FOUND', message: lit('no catalog'), json: true },
  { group: 'restore', name: 'archive is a file', argv: (w) => ['restore', '--archive', w.file, '--job-dir', w.jobDir, '--target', w.uri], exit: 1, code: 'ARCHIVE_IO_FAILED', message: () => /ENOTDIR/, json: true },
  // --- restore: modes, targets in time, scope
  restore('--mode sideways', () => ['--mode', 'sideways'], 2, 'BAD_OPTIONS', lit('--mode must be one of into-empty, overwrite, missing-only'), { spawn: true }),
  restore('--mode empty', () => ['--mode', ''], 2, 'BAD_OPTIONS', lit('--mode must be one of')),
  restore('--mode in capitals', () => ['--mode', 'OVERWRITE'], 2, 'BAD_OPTIONS', lit('"OVERWRITE"')),
  restore('--to yesterday', () => ['--to', 'yesterday'], 2, 'BAD_POSITION', lit('yesterday')),
  restore('--to without a zone', () => ['--to', '2026-01-01T00:00:00'], 2, 'BAD_POSITION', () => /2026-01-01T00:00:00/),
  restore('--to a date only', () => ['--to', '2026-01-01'], 2, 'BAD_POSITION', lit('2026-01-01')),
  restore('--to month 13', () => ['--to', '2026-13-01T00:00:00Z'], 2, 'BAD_POSITION', lit('2026-13-01')),
  restore('--to a number', () => ['--to', '1767100000'], 2, 'BAD_POSITION', lit('1767100000')),
  restore('--to before the window', () => ['--to', '2020-01-01T00:00:00Z'], 1, 'OUTSIDE_WINDOW', lit('before the restorable window')),
  restore('--to past the durable position', () => ['--to', '2100-01-01T00:00:00Z'], 1, 'PLAN_PAST_DURABLE', lit('past the latest durable position; the restorable window is')),
  restore('--to-position letters', () => ['--to-position', '12.x'], 2, 'BAD_POSITION', lit('12.x')),
  restore('--to-position one part', () => ['--to-position', '12'], 2, 'BAD_POSITION', lit('12')),
  restore('--to-position four parts', () => ['--to-position', '1.2.3.4'], 2, 'BAD_POSITION', lit('1.2.3.4')),
  restore('--to-position negative', () => ['--to-position', '-1.0'], 2, 'BAD_POSITION', lit('-1.0')),
  restore('--to-position past 32 bits', () => ['--to-position', '99999999999.0'], 2, 'BAD_POSITION', lit('99999999999')),
  restore('--to-position before the window', () => ['--to-position', '1.0'], 1, 'OUTSIDE_WINDOW', lit('before the restorable window')),
  restore('--to-position inside a gap', (w) => ['--to-position', w.inGap], 1, 'IN_GAP', lit('change stream history lost (bad-input suite)')),
  restore('--before-event unknown', () => ['--before-event', 'no-such-event'], 1, 'UNKNOWN_EVENT', lit('no-such-event')),
  restore('--before-event blank', () => ['--before-event', '  '], 2, 'BAD_POSITION', lit('--before-event needs an event id')),
  restore('--to and --to-position', (w) => ['--to', '2026-01-01T00:00:00Z', '--to-position', w.latest], 2, 'BAD_OPTIONS', () => /give one point in time, not --(to|at) and --(to|at)-position/),
  restore('--to-position and --before-event', (w) => ['--to-position', w.latest, '--before-event', 'x'], 2, 'BAD_OPTIONS', lit('give one point in time')),
  restore('--filter not JSON', () => ['--filter', '{status: 1}'], 2, 'BAD_FILTER', () => /JSON/),
  restore('--filter an array', () => ['--filter', '[1]'], 2, 'BAD_FILTER', () => /query document|object/),
  restore('--filter a string', () => ['--filter', '"x"'], 2, 'BAD_FILTER', () => /query document|object/),
  restore('--filter $regex', () => ['--filter', '{"status": {"$regex": "^o"}}'], 2, 'UNSUPPORTED_FILTER_OPERATOR', lit('regular expressions')),
  restore('--filter $where', () => ['--filter', '{"$where": "true"}'], 2, 'UNSUPPORTED_FILTER_OPERATOR', lit('$where')),
  restore('--filter $expr', () => ['--filter', '{"$expr": {"$gt": ["$n", 1]}}'], 2, 'UNSUPPORTED_FILTER_OPERATOR', lit('$expr')),
  restore('--filter $elemMatch', () => ['--filter', '{"tags": {"$elemMatch": {"$eq": "a"}}}'], 2, 'UNSUPPORTED_FILTER_OPERATOR', lit('$elemMatch')),
  restore('--filter $type', () => ['--filter', '{"n": {"$type": "int"}}'], 2, 'UNSUPPORTED_FILTER_OPERATOR', lit('$type')),
  restore('--filter $size', () => ['--filter', '{"tags": {"$size": 2}}'], 2, 'UNSUPPORTED_FILTER_OPERATOR', lit('$size')),
  restore('--filter $text', () => ['--filter', '{"$text": {"$search": "x"}}'], 2, 'UNSUPPORTED_FILTER_OPERATOR', lit('$text')),
  restore('--filter $in not an array', () => ['--filter', '{"n": {"$in": 3}}'], 2, 'BAD_FILTER', lit('$in')),
  restore('--id not Extended JSON', (w) => ['--ns', `${w.srcDb}.orders`, '--id', '{"$oid": "nope"}'], 2, 'BAD_KEY', lit('--id')),
  restore('--id bare word', (w) => ['--ns', `${w.srcDb}.orders`, '--id', 'sku-1'], 2, 'BAD_KEY', lit('is not Extended JSON')),
  restore('--id an array', (w) => ['--ns', `${w.srcDb}.orders`, '--id', '[1,2]'], 2, 'BAD_KEY', lit('cannot be an array')),
  restore('--id without --ns', () => ['--id', '5'], 2, 'BAD_OPTIONS', lit('--id needs exactly one --ns db.collection')),
  restore('--id with a wildcard --ns', (w) => ['--ns', `${w.srcDb}.*`, '--id', '5'], 2, 'BAD_OPTIONS', lit('--id needs exactly one --ns')),
  restore('--id of a key that never existed', (w) => ['--ns', `${w.srcDb}.orders`, '--id', '424242'], 1, 'UNKNOWN_KEY', lit('no document with --id {"$numberInt":"424242"}')),
  restore('--id of the right number as a string', (w) => ['--ns', `${w.srcDb}.orders`, '--id', '"5"'], 1, 'UNKNOWN_KEY', lit('check the key\'s type')),
  restore('--id and --keys-from', (w) => ['--ns', `${w.srcDb}.people`, '--id', '5', '--keys-from', w.report, '--mode', 'missing-only'], 2, 'BAD_OPTIONS', lit('give --id or --keys-from, not both')),
  restore('--keys-from a missing file', (w) => ['--keys-from', `${w.work}/no-report.json`, '--mode', 'missing-only'], 2, 'BAD_REPORT', lit('cannot read the diff report')),
  restore('--keys-from not JSON', (w) => ['--keys-from', w.badReports.notJson, '--mode', 'missing-only'], 2, 'BAD_REPORT', lit('is not a rewind diff report')),
  restore('--keys-from another kind of file', (w) => ['--keys-from', w.badReports.wrongKind, '--mode', 'missing-only'], 2, 'BAD_REPORT', lit('is not a rewind diff report')),
  restore('--keys-from a report with a bad position', (w) => ['--keys-from', w.badReports.badAt, '--mode', 'missing-only'], 2, 'BAD_REPORT', lit('invalid position')),
  restore('--keys-from a report with a bad key', (w) => ['--keys-from', w.badReports.badKey, '--mode', 'missing-only'], 2, 'BAD_REPORT', lit('not a document key')),
  restore('--keys-from with into-empty', (w) => ['--keys-from', w.report], 2, 'BAD_OPTIONS', lit('--keys-from works with --mode missing-only or overwrite')),
  restore('--keys-from with another --ns', (w) => ['--keys-from', w.report, '--mode', 'missing-only', '--ns', `${w.srcDb}.orders`], 2, 'BAD_OPTIONS', lit('contradicts --keys-from')),
  restore('--ns that matches nothing', (w) => ['--ns', `${w.srcDb}.nope`], 1, 'UNKNOWN_NAMESPACE', (w) => re(`${w.srcDb}.nope`), { spawn: true }),
  restore('--ns wildcard that matches nothing', () => ['--ns', 'nope.*'], 1, 'UNKNOWN_NAMESPACE', lit('"nope.*" is not in the archive')),
  restore('--ns of 40 stars that matches nothing', () => ['--ns', `${'a*'.repeat(40)}.zz`], 1, 'UNKNOWN_NAMESPACE', lit('is not in the archive')),
  restore('--ns a database only', () => ['--ns', 'justadb'], 2, 'BAD_OPTIONS', lit('"justadb" is not a namespace')),
  restore('--ns with an empty collection', () => ['--ns', 'db.'], 2, 'BAD_OPTIONS', lit('is not a namespace')),
  restore('--ns with an empty database', () => ['--ns', '.coll'], 2, 'BAD_OPTIONS', lit('is not a namespace')),
  { ...restore('--ns-from without --ns-to', () => [], 2, 'BAD_OPTIONS', lit('come in pairs')), argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--target', w.uri, '--ns-from', `${w.srcDb}.*`] },
  { ...restore('--ns-from and --ns-to of different stars', () => [], 2, 'BAD_OPTIONS', lit('same number of * wildcards')), argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--target', w.uri, '--ns-from', `${w.srcDb}.*`, '--ns-to', 'copy.x'] },
  { ...restore('--ns-from that maps nothing', () => [], 1, 'UNKNOWN_NAMESPACE', lit('maps nothing')), argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--target', w.uri, '--mode', 'overwrite', '--ns-from', 'shp.*', '--ns-to', `${w.dstDb}.*`] },
  { ...restore('--ns-to not a namespace', () => [], 2, 'BAD_OPTIONS', lit('is not a namespace')), argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--target', w.uri, '--ns-from', `${w.srcDb}.orders`, '--ns-to', 'nodot'] },
  {
    ...restore('two namespaces into one', () => [], 2, 'BAD_OPTIONS', lit('would both be restored into')),
    argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--target', w.uri, '--ns-from', `${w.srcDb}.orders`, '--ns-to', `${w.dstDb}.same`, '--ns-from', `${w.srcDb}.people`, '--ns-to', `${w.dstDb}.same`],
  },
  restore('into-empty into a non-empty collection', () => [], 1, 'TARGET_NOT_EMPTY', (w) => re(`into-empty refuses non-empty target collections: ${w.dstDb}.orders`)),
  {
    group: 'restore',
    name: 'in place without --yes-overwrite-source',
    argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--source', w.uri, '--mode', 'overwrite'],
    exit: 1,
    code: 'CONFIRMATION_REQUIRED',
    message: lit('add --yes-overwrite-source'),
    json: true,
    spawn: true,
  },
  {
    group: 'restore',
    name: 'a localhost spelling of the source as --target',
    argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir, '--source', w.uri, '--target', `mongodb://localhost:${w.port}/?appName=x`, '--mode', 'overwrite'],
    exit: 1,
    code: 'CONFIRMATION_REQUIRED',
    message: lit('cannot tell whether the target'),
    json: true,
  },
  { group: 'restore', name: '--parallel 0', argv: (w) => [...restoreInto(w), '--parallel', '0'], exit: 2, message: lit("--parallel must be a positive integer") },
  { group: 'restore', name: '--parallel -1', argv: (w) => [...restoreInto(w), '--parallel', '-1'], exit: 2, message: lit("--parallel must be a positive integer") },
  { group: 'restore', name: '--parallel 1.5', argv: (w) => [...restoreInto(w), '--parallel', '1.5'], exit: 2, message: lit("--parallel must be a positive integer") },
  { group: 'restore', name: '--batch-size abc', argv: (w) => [...restoreInto(w), '--batch-size', 'abc'], exit: 2, message: lit("--batch-size must be a positive integer"), spawn: true },
  { group: 'restore', name: '--batch-size 0', argv: (w) => [...restoreInto(w), '--batch-size', '0'], exit: 2, message: lit("--batch-size must be a positive integer") },
  restore('--job with a slash', () => ['--job', '../escape'], 2, 'BAD_OPTIONS', lit('job id "../escape" must be 1-128 letters')),
  restore('--job with a space', () => ['--job', 'a b'], 2, 'BAD_OPTIONS', lit('must be 1-128 letters')),
  restore('--job too long', () => ['--job', 'j'.repeat(200)], 2, 'BAD_OPTIONS', lit('must be 1-128 letters')),
  restore('--job with --dry-run', () => ['--job', 'j1', '--dry-run'], 2, 'BAD_OPTIONS', lit('--job has no effect with --dry-run')),
  restore('--temp-dir missing', (w) => ['--temp-dir', `${w.work}/no-such-temp`], 2, 'BAD_OPTIONS', () => /--temp-dir .*no-such-temp does not exist/, { spawn: true }),
  restore('--temp-dir a file', (w) => ['--temp-dir', w.file], 2, 'BAD_OPTIONS', () => /--temp-dir .* is a file, not a folder/),
  restore('--temp-dir inside the archive', (w) => ['--temp-dir', w.archive], 2, 'BAD_OPTIONS', () => /--temp-dir .* is inside the archive/),
  restore('--job-dir under a file', (w) => ['--job-dir', `${w.file}/jobs`], 2, 'BAD_OPTIONS', () => /--job-dir .* is a file/),
  restore('--job-dir inside the archive', (w) => ['--job-dir', `${w.archive}/jobs`], 2, 'BAD_OPTIONS', () => /--job-dir .* is inside the archive/),
  // --- diff
  ...(
    [
      ['no --ns', () => [], 2, 'BAD_OPTIONS', lit('give --ns <db.coll>')],
      ['a wildcard --ns', () => ['--ns', 'a.*'], 2, 'BAD_OPTIONS', lit('names one collection (no wildcard)')],
      ['--ns a database only', () => ['--ns', 'justadb'], 2, 'BAD_OPTIONS', lit('is not a namespace')],
      ['--ns unknown', (w: World) => ['--ns', `${w.srcDb}.nope`], 1, 'UNKNOWN_NAMESPACE', lit('does not exist in the archive')],
      ['--live-ns not a namespace', (w: World) => ['--ns', `${w.srcDb}.orders`, '--live-ns', 'x'], 2, 'BAD_OPTIONS', lit('--live-ns "x" is not a namespace')],
      ['--at soon', (w: World) => ['--ns', `${w.srcDb}.orders`, '--at', 'soon'], 2, 'BAD_POSITION', lit('soon')],
      ['--at 1.2.3.4', (w: World) => ['--ns', `${w.srcDb}.orders`, '--at', '1.2.3.4'], 2, 'BAD_POSITION', lit('1.2.3.4')],
      ['--at before the window', (w: World) => ['--ns', `${w.srcDb}.orders`, '--at', '2000-01-01T00:00:00Z'], 1, 'OUTSIDE_WINDOW', lit('before the restorable window')],
      ['--out the archive catalog', (w: World) => ['--ns', `${w.srcDb}.orders`, '--out', `${w.archive}/catalog.json`], 2, 'BAD_OPTIONS', () => /--out .*catalog\.json is inside the archive/],
      ['--out a folder', (w: World) => ['--ns', `${w.srcDb}.orders`, '--out', w.work], 2, 'BAD_OPTIONS', lit('is a folder: give a file name')],
      ['--out in a missing folder', (w: World) => ['--ns', `${w.srcDb}.orders`, '--out', `${w.work}/no/such/r.json`], 2, 'BAD_OPTIONS', () => /the folder .* does not exist/],
      ['--out under a file', (w: World) => ['--ns', `${w.srcDb}.orders`, '--out', `${w.file}/r.json`], 2, 'BAD_OPTIONS', () => /--out .*/],
      ['--temp-dir missing', (w: World) => ['--ns', `${w.srcDb}.orders`, '--temp-dir', `${w.work}/nope`], 2, 'BAD_OPTIONS', () => /--temp-dir .*nope does not exist/],
      ['--temp-dir inside the archive', (w: World) => ['--ns', `${w.srcDb}.orders`, '--temp-dir', `${w.archive}`], 2, 'BAD_OPTIONS', () => /is inside the archive/],

    ] as [string, (w: World) => string[], 1 | 2, string, (w: World) => RegExp][]
  ).map(([name, extra, exit, code, message], i): BadInput => ({
    group: 'diff',
    name,
    argv: (w) => ['diff', '--archive', w.archive, '--target', w.uri, ...extra(w)],
    exit,
    code,
    message,
    json: true,
    spawn: i === 8,
  })),
  // commander's own option errors: a usage message, no rewind code.
  { group: 'diff', name: '--max-keys 0', argv: (w) => ['diff', '--archive', w.archive, '--target', w.uri, '--ns', `${w.srcDb}.orders`, '--max-keys', '0'], exit: 2, message: lit('--max-keys must be a positive integer') },
  { group: 'diff', name: '--batch-size x', argv: (w) => ['diff', '--archive', w.archive, '--target', w.uri, '--ns', `${w.srcDb}.orders`, '--batch-size', 'x'], exit: 2, message: lit('--batch-size must be a positive integer') },
  ...badTargets.slice(0, 5).map(([name, uri, message]): BadInput => ({
    group: 'diff',
    name: `--target ${name}`,
    argv: (w) => ['diff', '--archive', w.archive, '--ns', `${w.srcDb}.orders`, '--target', uri],
    exit: 2,
    code: 'BAD_OPTIONS',
    message: () => new RegExp(`--target(-uri)?: .*${message.source}`),
    json: true,
  })),
  { group: 'diff', name: 'no live server at all', argv: (w) => ['diff', '--archive', w.archive, '--ns', `${w.srcDb}.orders`], exit: 2, code: 'BAD_OPTIONS', message: lit('give --target-uri'), json: true },
  // --- history
  ...(
    [
      ['no --ns', () => ['--id', '1'], 'BAD_OPTIONS', lit('give --ns <db.coll> (one collection)')],
      ['a wildcard --ns', () => ['--ns', 'a.*', '--id', '1'], 'BAD_OPTIONS', lit('names one collection, db.coll (no wildcard)')],
      ['--ns a database only', () => ['--ns', 'shop', '--id', '1'], 'BAD_OPTIONS', lit('is not a namespace')],
      ['no --id', (w: World) => ['--ns', `${w.srcDb}.orders`], 'BAD_KEY', lit('give --id <ejson>')],
      ['--id not JSON', (w: World) => ['--ns', `${w.srcDb}.orders`, '--id', '{oid: 1}'], 'BAD_KEY', lit('is not Extended JSON')],
      ['--id a bad ObjectId', (w: World) => ['--ns', `${w.srcDb}.orders`, '--id', '{"$oid": "123"}'], 'BAD_KEY', lit('is not Extended JSON')],
      ['--id an array', (w: World) => ['--ns', `${w.srcDb}.orders`, '--id', '[]'], 'BAD_KEY', lit('cannot be an array')],
    ] as [string, (w: World) => string[], string, (w: World) => RegExp][]
  ).map(([name, extra, code, message]): BadInput => ({ group: 'history', name, argv: (w) => ['history', '--archive', w.archive, ...extra(w)], exit: 2, code, message, json: true })),
  { group: 'history', name: 'archive missing', argv: (w) => ['history', '--archive', `${w.work}/none`, '--ns', 'a.b', '--id', '1'], exit: 1, code: 'CATALOG_NOT_FOUND', message: lit('no catalog'), json: true },
  { group: 'history', name: 'no archive', argv: () => ['history', '--ns', 'a.b', '--id', '1'], exit: 2, code: 'BAD_OPTIONS', message: lit('give --archive <dir>'), json: true, spawn: true },
  // --- catalog, verify, status
  ...(['catalog', 'verify', 'status'] as const).flatMap((command): BadInput[] => [
    { group: 'archive commands', name: `${command} without --archive`, argv: () => [command], exit: 2, ...(command === 'status' ? {} : { code: 'BAD_OPTIONS' }), message: lit('give --archive <dir>'), json: command !== 'status', spawn: command === 'status' },
    { group: 'archive commands', name: `${command} of a missing archive`, argv: (w) => [command, '--archive', `${w.work}/none`], exit: 1, code: 'CATALOG_NOT_FOUND', message: lit('no catalog (initialize the archive first)'), json: true, spawn: command === 'verify' },
    { group: 'archive commands', name: `${command} of a file`, argv: (w) => [command, '--archive', w.file], exit: 1, code: 'ARCHIVE_IO_FAILED', message: () => /ENOTDIR/ },
    { group: 'archive commands', name: `${command} of a name too long`, argv: (w) => [command, '--archive', `${w.work}/${'n'.repeat(300)}`], exit: 1, code: 'ARCHIVE_IO_FAILED', message: () => /ENAMETOOLONG/ },
  ]),
  // --- commander's own usage errors
  { group: 'usage', name: 'unknown command', argv: () => ['frobnicate'], exit: 2, message: lit("unknown command 'frobnicate'"), spawn: true },
  { group: 'usage', name: 'unknown top-level option', argv: () => ['--frobnicate'], exit: 2, message: lit("unknown option '--frobnicate'") },
  { group: 'usage', name: 'unknown restore option', argv: () => ['restore', '--no-such-flag'], exit: 2, message: lit("unknown option '--no-such-flag'"), spawn: true },
  { group: 'usage', name: 'a typo of --dry-run', argv: () => ['restore', '--dryrun'], exit: 2, message: lit("unknown option '--dryrun'") },
  { group: 'usage', name: '--ns without its value', argv: () => ['restore', '--ns'], exit: 2, message: lit("option '--ns <pattern>' argument missing") },
  { group: 'usage', name: 'an extra argument', argv: (w) => ['catalog', '--archive', w.archive, 'extra'], exit: 2, message: lit('too many arguments') },
  { group: 'usage', name: 'unknown up option', argv: () => ['up', '--mongodb', 'x'], exit: 2, message: lit("unknown option '--mongodb'") },
  // --- capture: flags
  ...(
    [
      ['--mongo not a URI', ['--mongo', 'localhost:27017'], /mongo\.uri: expected a mongodb:\/\//],
      ['--mongo http', ['--mongo', 'http://db:27017'], /mongo\.uri: expected a mongodb:\/\//],
      ['--mongo empty host', ['--mongo', 'mongodb://u:p@127.0.0.1:1,/'], /mongo\.uri: .*empty host/],
      ['--mongo raw @ in the password', ['--mongo', 'mongodb://user:p@ss/w0rd@host'], /mongo\.uri: .*percent-encode/],
      ['--mongo unknown option', ['--mongo', 'mongodb://h:1/?foo=bar'], /mongo\.uri: .*option foo is not supported/],
      ['--mongo bad port', ['--mongo', 'mongodb://h:0'], /mongo\.uri: /],
      ['--source-id with a space', ['--mongo', 'mongodb://h:1', '--source-id', 'my source'], /sourceId: letters, digits/],
      ['--source-id a slash', ['--mongo', 'mongodb://h:1', '--source-id', 'a/b'], /sourceId: letters, digits/],
      ['--log-level loud', ['--mongo', 'mongodb://h:1', '--log-level', 'loud'], /logLevel: /],
      ['--include and --exclude the same', ['--mongo', 'mongodb://h:1', '--include', 'shop.*', '--exclude', 'shop.*'], /mongo\.exclude\.0: "shop\.\*" is also an include pattern/],
      ['no --mongo', [], /missing --source-uri <uri> \(env REWIND_SOURCE_URI/],
    ] as [string, string[], RegExp][]
  ).map(([name, flags, message], i): BadInput => ({
    group: 'capture flags',
    name: `up ${name}`,
    argv: (w) => ['up', '--archive', w.archive, ...flags],
    exit: 2,
    message: () => new RegExp(`^rewind up: CONFIG_INVALID: invalid configuration: .*${message.source}`, 'm'),
    spawn: i === 2 || i === 6,
  })),
  { group: 'capture flags', name: 'up --archive under a file', argv: (w) => ['up', '--mongo', 'mongodb://127.0.0.1:1', '--archive', `${w.file}/a`], exit: 2, message: () => /archive\.dir: .* is a file/ },
  { group: 'capture flags', name: 'up without --archive', argv: () => ['up', '--mongo', 'mongodb://127.0.0.1:1'], exit: 2, message: () => /missing --archive <dir>/ },
  { group: 'capture flags', name: 'collect without a state file', argv: () => ['collect', '--mongo', 'mongodb://127.0.0.1:1', '--kafka-brokers', '127.0.0.1:1'], exit: 2, message: () => /missing --state-file <file>/ },
  { group: 'capture flags', name: 'collect with a broker without a port', argv: (w) => ['collect', '--mongo', 'mongodb://127.0.0.1:1', '--kafka-brokers', 'nohost', '--state-file', `${w.work}/s.json`], exit: 2, message: () => /kafka\.brokers\.0: expected host:port/ },
  { group: 'capture flags', name: 'collect with a bad topic', argv: (w) => ['collect', '--mongo', 'mongodb://127.0.0.1:1', '--kafka-brokers', '127.0.0.1:1', '--topic', 'bad topic!', '--state-file', `${w.work}/s.json`], exit: 2, message: () => /kafka\.topic: Kafka topic names/ },
  { group: 'capture flags', name: 'collect with its state file in the archive', argv: (w) => ['collect', '--mongo', 'mongodb://127.0.0.1:1', '--kafka-brokers', '127.0.0.1:1', '--state-file', `${w.archive}/state.json`], exit: 2, message: () => /stateFile: .* is inside the archive/ },
  { group: 'capture flags', name: 'collect with its state file under a file', argv: (w) => ['collect', '--mongo', 'mongodb://127.0.0.1:1', '--kafka-brokers', '127.0.0.1:1', '--state-file', `${w.file}/s.json`], exit: 2, message: () => /stateFile: .* is a file/ },
  { group: 'capture flags', name: 'archive without brokers', argv: (w) => ['archive', '--archive', w.archive], exit: 2, message: () => /missing --kafka-brokers <host:port/ },
  { group: 'capture flags', name: 'archive with an empty broker list', argv: (w) => ['archive', '--archive', w.archive, '--kafka-brokers', ' , '], exit: 2, message: () => /kafka\.brokers/ },
  // --- capture: environment values
  ...(
    [
      ['REWIND_SEGMENT_MAX_BYTES of 400 nines gib', { REWIND_SEGMENT_MAX_BYTES: `${'9'.repeat(400)}gib` }, /archive\.segmentMaxBytes: a size .* is too large/],
      ['REWIND_SEGMENT_MAX_BYTES 0', { REWIND_SEGMENT_MAX_BYTES: '0' }, /archive\.segmentMaxBytes: a size must be more than 0/],
      ['REWIND_SEGMENT_MAX_BYTES parsecs', { REWIND_SEGMENT_MAX_BYTES: '12 parsecs' }, /archive\.segmentMaxBytes: expected a size like 1048576/],
      ['REWIND_SEGMENT_MAX_BYTES 1TB', { REWIND_SEGMENT_MAX_BYTES: '1TB' }, /archive\.segmentMaxBytes: expected a size/],
      ['REWIND_SEGMENT_MAX_BYTES negative', { REWIND_SEGMENT_MAX_BYTES: '-1MB' }, /archive\.segmentMaxBytes: expected a size/],
      ['REWIND_SEGMENT_MAX_BYTES fractional bytes', { REWIND_SEGMENT_MAX_BYTES: '1.5' }, /archive\.segmentMaxBytes: expected a size/],
      ['REWIND_SEGMENT_MAX_BYTES 20 digits', { REWIND_SEGMENT_MAX_BYTES: '9'.repeat(20) }, /archive\.segmentMaxBytes: a size .* is too large/],
      ['REWIND_SEGMENT_MAX_AGE without a unit', { REWIND_SEGMENT_MAX_AGE: '60' }, /archive\.segmentMaxAgeMs: .*give a unit: 60ms or 60s/],
      ['REWIND_SEGMENT_MAX_AGE soon', { REWIND_SEGMENT_MAX_AGE: 'soon' }, /archive\.segmentMaxAgeMs: expected a duration/],
      ['REWIND_SEGMENT_MAX_AGE 0s', { REWIND_SEGMENT_MAX_AGE: '0s' }, /archive\.segmentMaxAgeMs: a duration must be more than 0/],
      ['REWIND_SEGMENT_MAX_AGE in weeks', { REWIND_SEGMENT_MAX_AGE: '2w' }, /archive\.segmentMaxAgeMs: expected a duration/],
      ['REWIND_COMPACTION_EVERY 0ms', { REWIND_COMPACTION_EVERY: '0ms' }, /compaction\.everyMs: a duration must be more than 0/],
      ['REWIND_COMPACTION_EVERY of 400 nines days', { REWIND_COMPACTION_EVERY: `${'9'.repeat(400)}d` }, /compaction\.everyMs: a duration .* is too large/],
      ['REWIND_COMPACTION_AFTER_EVENTS many', { REWIND_COMPACTION_AFTER_EVENTS: 'many' }, /compaction\.afterEvents: /],
      ['REWIND_COMPACTION_AFTER_EVENTS 0', { REWIND_COMPACTION_AFTER_EVENTS: '0' }, /compaction\.afterEvents: /],
      ['REWIND_COMPACTION_AFTER_EVENTS 1.5', { REWIND_COMPACTION_AFTER_EVENTS: '1.5' }, /compaction\.afterEvents: /],
      ['REWIND_COMPACTION_AFTER_EVENTS 1e400', { REWIND_COMPACTION_AFTER_EVENTS: '1e400' }, /compaction\.afterEvents: /],
      ['REWIND_RETENTION_WINDOW 0d', { REWIND_RETENTION_WINDOW: '0d' }, /retention\.windowMs: a duration must be more than 0/],
      ['REWIND_RETENTION_WINDOW forever', { REWIND_RETENTION_WINDOW: 'forever' }, /retention\.windowMs: expected a duration/],
      ['REWIND_LOG_LEVEL loud', { REWIND_LOG_LEVEL: 'loud' }, /logLevel: /],
      ['REWIND_SOURCE_ID with spaces', { REWIND_SOURCE_ID: 'prod db' }, /sourceId: letters, digits/],
      ['REWIND_MONGO_URI garbage', { REWIND_MONGO_URI: 'garbage' }, /mongo\.uri: expected a mongodb:\/\//],
      ['REWIND_MONGO_URI with an empty host', { REWIND_MONGO_URI: 'mongodb://127.0.0.1:1,' }, /mongo\.uri: .*empty host/],
      ['REWIND_INCLUDE and REWIND_EXCLUDE the same', { REWIND_INCLUDE: 'a.*', REWIND_EXCLUDE: 'a.*' }, /mongo\.exclude\.0: .*contradict/],
    ] as [string, Record<string, string>, RegExp][]
  ).map(([name, env, message], i): BadInput => ({
    group: 'environment',
    name,
    argv: (w) => ['up', '--archive', w.archive],
    env: () => ({ REWIND_MONGO_URI: 'mongodb://127.0.0.1:1', ...env }),
    exit: 2,
    message: () => new RegExp(`^rewind up: CONFIG_INVALID: invalid configuration: .*${message.source}`, 'm'),
    spawn: i === 0 || i === 11,
  })),
  ...(
    [
      ['REWIND_KAFKA_BROKERS without ports', { REWIND_KAFKA_BROKERS: 'k1,k2' }, /kafka\.brokers\.0: expected host:port/],
      ['REWIND_KAFKA_BROKERS with a space', { REWIND_KAFKA_BROKERS: 'k 1:9092' }, /kafka\.brokers\.0: expected host:port/],
      ['REWIND_KAFKA_TOPIC with a slash', { REWIND_KAFKA_TOPIC: 'a/b' }, /kafka\.topic: /],
    ] as [string, Record<string, string>, RegExp][]
  ).map(([name, env, message]): BadInput => ({
    group: 'environment',
    name,
    argv: (w) => ['archive', '--archive', w.archive],
    env: () => ({ REWIND_KAFKA_BROKERS: '127.0.0.1:1', ...env }),
    exit: 2,
    message: () => new RegExp(`^rewind archive: CONFIG_INVALID: invalid configuration: .*${message.source}`),
  })),
  { group: 'environment', name: 'REWIND_SOURCE_URI garbage (restore)', argv: (w) => ['restore', '--archive', w.archive, '--job-dir', w.jobDir], env: () => ({ REWIND_SOURCE_URI: 'garbage' }), exit: 2, code: 'BAD_OPTIONS', message: lit('REWIND_SOURCE_URI: expected a mongodb://'), json: true, spawn: true },
  { group: 'environment', name: 'REWIND_SOURCE_URI garbage (diff)', argv: (w) => ['diff', '--archive', w.archive, '--ns', `${w.srcDb}.orders`], env: () => ({ REWIND_SOURCE_URI: 'mongodb://' }), exit: 2, code: 'BAD_OPTIONS', message: lit('REWIND_SOURCE_URI: "mongodb://" is not a valid MongoDB URI'), json: true },
  { group: 'environment', name: 'REWIND_ARCHIVE_DIR missing', argv: () => ['catalog'], env: (w) => ({ REWIND_ARCHIVE_DIR: `${w.work}/nowhere` }), exit: 1, code: 'CATALOG_NOT_FOUND', message: lit('no catalog'), json: true },
  { group: 'environment', name: 'REWIND_JOB_DIR under a file', argv: (w) => [...restoreInto(w).filter((a, i, all) => a !== '--job-dir' && all[i - 1] !== '--job-dir')], env: (w) => ({ REWIND_JOB_DIR: `${w.file}/jobs` }), exit: 2, code: 'BAD_OPTIONS', message: () => /--job-dir .* is a file/, json: true },
  // --- capture: configuration files
  ...(
    [
      ['a missing file', 'missing', /\(file\): cannot read .*missing\.json/],
      ['not JSON', 'notJson', /\(file\): .*not-json\.json is not a JSON object/],
      ['a JSON array', 'array', /\(file\): .*array\.json is not a JSON object: not a JSON object/],
      ['JSON null', 'null', /\(file\): .*null\.json is not a JSON object/],
      ['an unknown top-level key', 'unknownKey', /logLevell: unknown key/],
      ['an unknown nested key', 'nestedUnknown', /archive\.segmentMaxByte: unknown key/],
      ['archive.dir a number', 'dirNumber', /archive\.dir: /],
      ['archive.dir empty', 'dirEmpty', /archive\.dir: /],
      ['archive.codec zstd', 'codec', /archive\.codec: /],
      ['mongo.batchSize 0', 'batchZero', /mongo\.batchSize: /],
      ['mongo.batchSize past the limit', 'batchHuge', /mongo\.batchSize: /],
      ['mongo.batchSize a string', 'batchString', /mongo\.batchSize: /],
      ['mongo.include empty', 'includeEmpty', /mongo\.include: /],
      ['mongo.exclude an empty pattern', 'excludeBlank', /mongo\.exclude\.0: /],
      ['mongo.uri with a raw @', 'uriAt', /mongo\.uri: .*percent-encode/],
      ['segmentMaxBytes a negative number', 'negativeSize', /archive\.segmentMaxBytes: /],
      ['segmentMaxBytes Infinity as 1e400', 'infiniteSize', /archive\.segmentMaxBytes: /],
      ['segmentMaxAgeMs zero', 'zeroAge', /archive\.segmentMaxAgeMs: a duration must be more than 0/],
      ['compaction.everyMs "0ms"', 'compactZero', /compaction\.everyMs: a duration must be more than 0/],
      ['compaction.afterEvents a string', 'afterString', /compaction\.afterEvents: /],
      ['compaction.tempDir missing', 'tempMissing', /compaction\.tempDir: .* does not exist/],
      ['compaction.tempDir inside the archive', 'tempInArchive', /compaction\.tempDir: .* is inside the archive/],
      ['retention.windowMs "0d"', 'retentionZero', /retention\.windowMs: a duration must be more than 0/],
      ['compactionMemoryBytes "lots"', 'memoryLots', /compactionMemoryBytes: expected a size/],
      ['sourceId too long', 'sourceIdLong', /sourceId: letters, digits/],
      ['kafka in an up configuration', 'kafkaInUp', /kafka: unknown key/],
    ] as [string, string, RegExp][]
  ).map(([name, config, message], i): BadInput => ({
    group: 'config file',
    name,
    // archive.dir comes from the file: an --archive flag would mask a bad one.
    argv: (w) => ['up', '--config', w.configs[config] ?? `${w.work}/missing.json`],
    exit: 2,
    message: () => new RegExp(`^rewind up: CONFIG_INVALID: invalid configuration: .*${message.source}`, 'm'),
    spawn: i === 1 || i === 4,
  })),
];
