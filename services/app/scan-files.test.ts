/**
 * The filesystem half of the scan: globs, the depth bound, link loops, links
 * leaving the roots, unreadable files, each format's detection and record
 * count, and the backup JSON's checksum good and bad.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { backupChecksumOfFile, checkBackupChecksum, collectionsSpan } from '../../contracts/backup-checksum.js';
import { ejsonToBson } from '../../contracts/ejson-to-bson.js';
import { recoveryReportSchema } from '../../contracts/recovery-report.js';
import type { BackupFile } from '../../contracts/recovery-report.js';
import { runScan } from './scan.js';
import { searchBackupFiles } from './scan-files.js';
import { describeDump, describeFile } from './scan-formats.js';
import { globToRegExp } from './scan-glob.js';

const insertEvents = (JSON.parse(readFileSync(new URL('../../test/fixtures/change-events/insert/insert-basic.json', import.meta.url), 'utf8')) as { events: unknown[] }).events;

/** A backup JSON file's text, as the seed scripts and `rewind export` write it: metadata last, its checksum over the collections bytes. */
function backupJson(records: Record<string, unknown[]>, checksum?: string): string {
  const collections = JSON.stringify(records, null, 2);
  const sum = checksum ?? createHash('sha256').update(collections).digest('hex');
  const total = Object.values(records).reduce((n, r) => n + r.length, 0);
  return `{\n  "timestamp": "2026-12-01T10:00:00.000Z",\n  "version": "1.0",\n  "source": "mongodb",\n  "collections": ${collections},\n  "metadata": {"total_records": ${total}, "exported_by": "seed-scripts", "checksum": "${sum}"}\n}\n`;
}

describe('scan globs', () => {
  it('matches the seed patterns at any depth, the root included, and nothing else', () => {
    const re = globToRegExp('**/backup*.json');
    expect(re.test('backup.json')).toBe(true);
    expect(re.test('a/b/backup-2026.json')).toBe(true);
    expect(re.test('a/notbackup.json')).toBe(false);
    expect(re.test('a/backup.json.bak')).toBe(false);
    expect(globToRegExp('*.csv').test('x/y.csv')).toBe(false);
    expect(globToRegExp('*.csv').test('y.csv')).toBe(true);
    expect(globToRegExp('exports/**').test('exports/a/b.json')).toBe(true);
    expect(globToRegExp('**/*.{ndjson,jsonl}').test('q/r.jsonl')).toBe(true);
    expect(globToRegExp('**/data[0-9].json').test('data7.json')).toBe(true);
    expect(globToRegExp('**/data[!0-9].json').test('data7.json')).toBe(false);
    expect(globToRegExp('**/a?c.json').test('a/c.json')).toBe(false);
  });
});

describe('backup JSON checksum', () => {
  it('is sha256 of the bytes of the top-level collections value as they stand in the file', () => {
    const text = backupJson({ users: [{ id: 1, name: 'Ann "A" {x}' }], orders: [] });
    const bytes = Buffer.from(text);
    const span = collectionsSpan(bytes);
    expect(JSON.parse(bytes.subarray(span?.start, span?.end).toString())).toEqual({ users: [{ id: 1, name: 'Ann "A" {x}' }], orders: [] });
    const doc = JSON.parse(text) as { metadata: { checksum: string } };
    expect(checkBackupChecksum(bytes, doc)).toEqual({ status: 'valid', expected: doc.metadata.checksum, actual: doc.metadata.checksum });
    // A member before collections holding a "collections" key inside it does not mislead the scan.
    const decoy = Buffer.from(`{"source": {"collections": [1]}, "note": "\\"collections\\": 2", "collections": {"a": [1]}, "metadata": {}}`);
    expect(backupChecksumOfFile(decoy)).toBe(createHash('sha256').update('{"a": [1]}').digest('hex'));
    // One changed record byte, or collections re-indented, is another file.
    const changed = Buffer.from(text.replace('"id": 1', '"id": 2'));
    expect(checkBackupChecksum(changed, doc)).toMatchObject({ status: 'invalid', expected: doc.metadata.checksum });
    const prefixed = { metadata: { checksum: `sha256:${doc.metadata.checksum.toUpperCase()}` } };
    expect(checkBackupChecksum(bytes, prefixed).status).toBe('valid');
    expect(checkBackupChecksum(bytes, { metadata: {} }).status).toBe('absent');
  });
});

describe('scan filesystem search', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'rewind-scan-fs-'));
    root = join(base, 'root');
    outside = join(base, 'outside');
    await mkdir(join(root, 'backups'), { recursive: true });
    await mkdir(join(root, 'exports'), { recursive: true });
    await mkdir(join(root, 'dump', 'shop'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(root, 'backups', 'backup-good.json'), backupJson({ users: [{ id: 1 }, { id: 2 }], orders: [{ id: 'o1' }] }));
    // Its checksum was taken before a record was added.
    const sumBefore = createHash('sha256').update(JSON.stringify({ users: [{ id: 1 }] }, null, 2)).digest('hex');
    await writeFile(join(root, 'backups', 'backup-tampered.json'), backupJson({ users: [{ id: 1 }, { id: 99 }] }, sumBefore));
    await writeFile(join(root, 'exports', 'export_users.json'), JSON.stringify([{ name: 'a' }, { name: 'b' }, { name: 'c' }]));
    await writeFile(join(root, 'exports', 'export_mongo.json'), JSON.stringify([{ _id: { $oid: '6772a1f0c2b3a4d5e6f70811' }, n: 1 }]));
    // mongoexport's default output: one document per line in a .json file.
    await writeFile(join(root, 'exports', 'export_lines.json'), '{"_id":1}\n{"_id":2}\n\n{"_id":3}\n');
    await writeFile(join(root, 'chat_data.json'), JSON.stringify({ conversations: [{ session_id: 's1' }, { session_id: 's2' }] }));
    await writeFile(join(root, 'single_data.json'), JSON.stringify({ session_id: 's9', text: 'x' }));
    await writeFile(join(root, 'people.ndjson'), '{"a":1}\n{"a":2}\nnot json\n{"a":3}\n');
    await writeFile(join(root, 'events.ndjson'), `${insertEvents.map((e) => JSON.stringify(e)).join('\n')}\n`);
    await writeFile(join(root, 'table.csv'), '\uFEFFid,name,note\n1,"Ann ""A""",x\n2,"multi\nline",\n3,,\n');
    const eventsBson = Buffer.concat(insertEvents.map((e) => ejsonToBson(JSON.stringify(e))));
    await writeFile(join(root, 'changes.bson'), eventsBson);
    await writeFile(join(root, 'dump', 'shop', 'orders.bson'), Buffer.concat([ejsonToBson('{"_id":1}'), ejsonToBson('{"_id":2}')]));
    await writeFile(join(root, 'dump', 'shop', 'orders.metadata.json'), '{"indexes":[],"options":{}}');
    await writeFile(join(root, 'dump', 'shop', 'people.bson.gz'), gzipSync(ejsonToBson('{"_id":"ann"}')));
    await writeFile(join(root, 'dump', 'shop', 'people.metadata.json'), '{"indexes":[],"options":{}}');
    await writeFile(join(root, 'notes.txt'), 'not a backup');
    // Deeper than the bound.
    await mkdir(join(root, 'd1', 'd2', 'd3'), { recursive: true });
    await writeFile(join(root, 'd1', 'd2', 'd3', 'backup-deep.json'), '[]');
    await writeFile(join(root, 'd1', 'backup-shallow.json'), '[{"id":1}]');
    // A loop back to an ancestor, a link loop on itself, and links leaving the root.
    await symlink(root, join(root, 'backups', 'again'));
    await symlink(join(root, 'selfloop'), join(root, 'selfloop'));
    await writeFile(join(outside, 'backup-secret.json'), '[{"secret":1}]');
    await symlink(outside, join(root, 'elsewhere'));
    await symlink(join(outside, 'backup-secret.json'), join(root, 'backup-link.json'));
    await symlink(join(root, 'chat_data.json'), join(root, 'backups', 'backup-alias.json'));
    await symlink(join(root, 'missing-target.json'), join(root, 'backup-broken.json'));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const describeAll = async (maxDepth = 2) => {
    const found = await searchBackupFiles({ roots: [root], maxDepth });
    const files: BackupFile[] = [];
    for (const f of found.files) files.push(await describeFile(f));
    for (const d of found.dumps) files.push(await describeDump(d));
    return { found, byName: new Map(files.map((f) => [f.path.slice(root.length + 1), f])) };
  };

  it('finds every default format with its record count and checksum, and nothing else', async () => {
    const { byName } = await describeAll();
    const summary = Object.fromEntries([...byName].map(([p, f]) => [p, [f.format, f.record_count, f.checksum.status]]));
    expect(summary).toEqual({
      'backups/backup-good.json': ['backup-json', 3, 'valid'],
      'backups/backup-tampered.json': ['backup-json', 2, 'invalid'],
      'exports/export_users.json': ['record-json', 3, 'not-applicable'],
      'exports/export_mongo.json': ['mongoexport-json', 1, 'not-applicable'],
      'exports/export_lines.json': ['ndjson', 3, 'not-applicable'],
      'chat_data.json': ['record-json', 2, 'not-applicable'],
      'single_data.json': ['record-json', 1, 'not-applicable'],
      'people.ndjson': ['ndjson', 3, 'not-applicable'],
      'events.ndjson': ['ndjson-change-events', insertEvents.length, 'not-applicable'],
      'table.csv': ['csv', 3, 'not-applicable'],
      'changes.bson': ['bson-change-events', insertEvents.length, 'not-applicable'],
      'dump/shop': ['mongodump', 3, 'not-applicable'],
      'd1/backup-shallow.json': ['record-json', 1, 'not-applicable'],
    });
    expect(byName.get('dump/shop')?.collections).toEqual({ orders: 2, people: 1 });
    expect(byName.get('backups/backup-good.json')?.collections).toEqual({ users: 2, orders: 1 });
    expect(byName.get('people.ndjson')?.problem).toBe('1 line(s) are not JSON, the first at line 3');
  });

  it('bounds the depth, survives link loops and never follows a link out of its roots', async () => {
    const { found } = await describeAll();
    const skipped = found.skipped.map((s) => [s.path.slice(root.length + 1), s.reason]);
    expect(skipped).toContainEqual(['d1/d2/d3', 'depth-limit']);
    expect(skipped).toContainEqual(['backups/again', 'link-loop']);
    expect(skipped).toContainEqual(['selfloop', 'link-loop']);
    expect(skipped).toContainEqual(['elsewhere', 'link-outside-roots']);
    expect(skipped).toContainEqual(['backup-link.json', 'link-outside-roots']);
    expect(found.files.some((f) => f.realPath.startsWith(outside))).toBe(false);
    // A link inside the root to a file found anyway is read once.
    expect(found.files.filter((f) => f.realPath.endsWith('chat_data.json'))).toHaveLength(1);
    expect(found.unreadable.map((u) => [u.path.slice(root.length + 1), u.code])).toContainEqual(['backup-broken.json', 'ENOENT']);
    const deeper = await describeAll(3);
    expect(deeper.byName.get('d1/d2/d3/backup-deep.json')?.record_count).toBe(0);
  });

  it('takes its own globs instead of the defaults', async () => {
    const found = await searchBackupFiles({ roots: [root], globs: ['*.txt', 'exports/export_u*.json'] });
    expect(found.files.map((f) => f.path.slice(root.length + 1)).sort()).toEqual(['exports/export_users.json', 'notes.txt']);
  });

  it('reports a file it may not read (run as an unprivileged user: root reads anything)', async () => {
    const locked = join(root, 'backups', 'backup-locked.json');
    await writeFile(locked, '[]');
    await chmod(locked, 0o000);
    try {
      if (process.getuid?.() === 0) {
        // The search in a child process as nobody, through the CLI, so the kernel refuses the read.
        await chmod(base, 0o755);
        await chmod(root, 0o755);
        const child = spawnSync(process.execPath, ['--import', 'tsx', 'services/cli/main.ts', 'scan', '--path', root, '--max-depth', '2', '--json'], {
          cwd: new URL('../..', import.meta.url).pathname,
          uid: 65534,
          gid: 65534,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', HOME: '/tmp' },
          timeout: 60_000,
        });
        expect(child.stderr).toBe('');
        // No database and no archive: status failed (exit 4), the report still whole.
        expect(child.status).toBe(4);
        const report = recoveryReportSchema.parse(JSON.parse(child.stdout));
        expect(report.filesystem.unreadable).toContainEqual({ path: locked, code: 'EACCES', problem: 'permission denied' });
        expect(report.summary.errors.some((e) => e.code === 'BACKUP_FILE_UNREADABLE' && e.message.includes('backup-locked.json'))).toBe(true);
        expect(report.filesystem.backups.some((b) => b.path === locked)).toBe(false);
      } else {
        const found = await searchBackupFiles({ roots: [root], maxDepth: 2 });
        expect(found.unreadable).toContainEqual({ path: locked, code: 'EACCES', problem: 'permission denied' });
      }
    } finally {
      await chmod(locked, 0o644);
      await rm(locked);
    }
  });

  it('gives a whole, schema-valid report without a database or an archive, with status failed and the checksum failure as an error', async () => {
    const report = await runScan({ roots: [root], maxDepth: 2, dryRun: true });
    expect(recoveryReportSchema.safeParse(report).success).toBe(true);
    expect(report.summary.status).toBe('failed');
    expect(report.summary.status_reasons[0]).toMatch(/no live database/);
    expect(report.summary.errors.filter((e) => e.code === 'BACKUP_CHECKSUM_MISMATCH').map((e) => e.message)).toEqual([expect.stringContaining('backup-tampered.json')]);
    expect(report.filesystem.total_found).toBe(13);
    expect(report.summary.recommendations.map((r) => r.id)).toEqual(['start-capture']);
  });
});
