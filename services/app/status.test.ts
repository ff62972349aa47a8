import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { currentOwner } from '../../contracts/process-owner.js';
import { DEFAULT_STATUS_THRESHOLDS } from '../../contracts/status-thresholds.js';
import { CatalogStore } from '../archive/index.js';
import { STATUS_DIR, writeProcessStatus } from '../archiver/process-status.js';
import type { ProcessStatus } from '../archiver/process-status.js';
import { runRewind } from '../../test/e2e/restore/cli-runner.js';
import { readStatus } from './status.js';
import type { StatusResult } from './status.js';
import { runVerify } from './verify.js';
import { statusArchive } from './testing/status-archive.js';
import type { StatusArchive } from './testing/status-archive.js';

const CHILD = fileURLToPath(new URL('./testing/status-writer-child.ts', import.meta.url));
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const open: StatusArchive[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const a of open.splice(0)) await a.cleanup();
});

async function archive(secondsAgo?: number): Promise<StatusArchive> {
  const a = await statusArchive(secondsAgo);
  open.push(a);
  return a;
}

/** This test process as a running capture process: its real owner, refreshed now. */
async function reportAlive(dir: string, published: string | null = null, kind: ProcessStatus['process'] = 'up'): Promise<void> {
  const now = new Date().toISOString();
  await writeProcessStatus(join(dir, STATUS_DIR), {
    process: kind,
    pid: process.pid,
    owner: currentOwner(),
    startedAt: now,
    updatedAt: now,
    collector: { state: 'streaming', source: 'mongodb://u:secret@db', sourceReachable: true, published },
    archiver: { state: 'running', eventsArchived: 3, duplicatesDropped: 0, openSegment: null },
  });
}

const status = (dir: string, nowMs?: number) => readStatus({ archive: dir, thresholds: DEFAULT_STATUS_THRESHOLDS, ...(nowMs ? { nowMs } : {}) });
const codes = (r: StatusResult) => r.reasons.map((x) => `${x.level} ${x.code}`);

function startChild(dir: string, kind: ProcessStatus['process']): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, join(dir, STATUS_DIR), kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`child exited early (${String(code)})`)));
  });
}

describe('rewind status: the verdict', () => {
  it('a healthy archive (a live process, a recent verification, nothing late) is OK and exits 0', async () => {
    const a = await archive();
    await reportAlive(a.dir);
    await runVerify({ archive: { location: a.dir }, scope: { kind: 'all' }, by: 'command' });
    const r = await status(a.dir);
    expect(r.reasons).toEqual([]);
    expect(r.verdict).toBe('OK');
    expect(r.processes[0]).toMatchObject({ process: 'up', pid: process.pid, liveness: 'running', running: true });
    expect(r.lastVerify).toMatchObject({ by: 'command', scope: 'all', filesChecked: 3, catalogFiles: 3, problems: [], damaged: 0 });
    const cli = await runRewind(['status', '--archive', a.dir], {});
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout.split('\n')[0]).toBe('OK: healthy');
  });

  it('a capture process that was SIGKILLed is never shown running, even while its status file is fresh: CRIT, exit 4', async () => {
    const a = await archive();
    const child = await startChild(a.dir, 'collect');
    const alive = await status(a.dir);
    expect(alive.processes).toEqual([expect.objectContaining({ process: 'collect', pid: child.pid, liveness: 'running', running: true })]);
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    const dead = await status(a.dir);
    // Well inside the staleness window: only the owner check can tell.
    expect(dead.processes[0]?.silentMs).toBeLessThan(DEFAULT_STATUS_THRESHOLDS.processStaleMs);
    expect(dead.processes[0]).toMatchObject({ process: 'collect', liveness: 'dead', running: false });
    expect(dead.verdict).toBe('CRIT');
    expect(codes(dead)).toContain('CRIT PROCESS_DEAD');
    expect(codes(dead)).toContain('WARN NO_CAPTURE');
    const cli = await runRewind(['status', '--archive', a.dir], {});
    expect(cli.code).toBe(4);
    expect(cli.stdout).toMatch(new RegExp(`collect \\(pid ${child.pid} on [^)]+\\): NOT RUNNING: gone without a clean stop`));
    expect(cli.stdout).not.toMatch(/: running/);
  });

  it('a process that stopped cleanly is "stopped", not dead; one alive but silent past the threshold is hung', async () => {
    const a = await archive();
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    await writeProcessStatus(join(a.dir, STATUS_DIR), { process: 'up', pid: 999_999, owner: { ...currentOwner(), pid: 999_999 }, startedAt: iso(now - 60_000), updatedAt: iso(now - 30_000), stoppedAt: iso(now - 30_000) });
    await writeProcessStatus(join(a.dir, STATUS_DIR), { process: 'archive', pid: process.pid, owner: currentOwner(), startedAt: iso(now - 60_000), updatedAt: iso(now - 20_000) });
    const r = await status(a.dir, now);
    expect(r.processes.map((p) => [p.process, p.liveness])).toEqual([
      ['archive', 'hung'],
      ['up', 'stopped'],
    ]);
    expect(codes(r)).toEqual(['WARN PROCESS_HUNG', 'WARN NO_CAPTURE']);
    expect(r.verdict).toBe('WARN');
    // WARN exits 0, unless --fail-on-warn.
    expect((await runRewind(['status', '--archive', a.dir], {})).code).toBe(0);
    expect((await runRewind(['status', '--archive', a.dir, '--fail-on-warn'], {})).code).toBe(4);
  });

  it('an open gap is CRIT and shown with its reason', async () => {
    const a = await archive();
    await reportAlive(a.dir);
    await new CatalogStore(a.dir).update((c) => {
      c.gaps.push({ from: `${a.seconds}.5.0`, reason: 'change stream history lost', recordedAt: new Date().toISOString() });
    });
    const r = await status(a.dir);
    expect(r.verdict).toBe('CRIT');
    expect(r.reasons[0]).toMatchObject({ level: 'CRIT', code: 'OPEN_GAP' });
    expect(r.reasons[0]?.message).toContain('change stream history lost');
    expect(r.openGaps).toBe(1);
    const cli = await runRewind(['status', '--archive', a.dir], {});
    expect(cli.code).toBe(4);
    expect(cli.stdout).toContain('gaps: 1 open, 0 closed');
    expect(cli.stdout).toMatch(/OPEN: after \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+\.5\.0\) \(no base snapshot since\): change stream history lost/);
  });

  it('a verification that found a damaged file is CRIT, and the damage is a gap that status shows', async () => {
    const a = await archive();
    await reportAlive(a.dir);
    const seg = a.catalog.segments[1]?.file.path as string;
    await writeFile(join(a.dir, seg), 'not the segment');
    const verified = await runVerify({ archive: { location: a.dir }, scope: { kind: 'all' }, by: 'command' });
    expect(verified.damaged).toBe(true);
    const r = await status(a.dir);
    expect(r.verdict).toBe('CRIT');
    expect(codes(r)).toContain('CRIT VERIFY_FOUND_DAMAGE');
    expect(r.reasons.find((x) => x.code === 'VERIFY_FOUND_DAMAGE')?.message).toContain(seg);
    expect(r.lastVerify).toMatchObject({ damaged: 1, problems: [expect.objectContaining({ path: seg })] });
    expect(r.gaps).toEqual([expect.objectContaining({ pending: false, to: null, reason: expect.stringContaining(seg) as unknown })]);
    const cli = await runRewind(['status', '--archive', a.dir], {});
    expect(cli.code).toBe(4);
    expect(cli.stdout).toMatch(new RegExp(`BAD ${seg} \\(segment [^)]+\\): ARCHIVE_(LENGTH|CHECKSUM)_MISMATCH|BAD ${seg} \\(segment [^)]+\\): ARCHIVE_TRUNCATED`));
    expect(cli.stdout).not.toContain('gaps: none');
  });

  it('lag and durable age above their thresholds from the config file: WARN then CRIT', async () => {
    const a = await archive(120);
    await reportAlive(a.dir);
    const config = join(a.dir, '..', `${a.dir.split('/').at(-1) ?? 'x'}-status.json`);
    await writeFile(config, JSON.stringify({ sourceId: 'ignored-here', status: { lagWarnMs: '1m', lagCritMs: '1h', durableAgeWarnMs: '10s', durableAgeCritMs: '90s' } }));
    const j = await runRewind(['status', '--archive', a.dir, '--config', config, '--json'], {});
    expect(j.code).toBe(4);
    const r = JSON.parse(j.stdout) as StatusResult;
    expect(codes(r)).toEqual(['CRIT DURABLE_AGE', 'WARN CAPTURE_LAG']);
    expect(r.reasons[0]?.message).toMatch(/^the latest durable point is 2 min( \d+ s)? old \(CRIT at 1 min 30 s old\)$/);
    await writeFile(config, JSON.stringify({ status: { lagWarnMs: '1 minute' } }));
    const bad = await runRewind(['status', '--archive', a.dir, '--config', config], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('status.lagWarnMs');
  });

  it('a status file naming unreachable Kafka brokers: the consumer lag is skipped with the reason (WARN), without waiting long', async () => {
    const a = await archive();
    const now = new Date().toISOString();
    await writeProcessStatus(join(a.dir, STATUS_DIR), { process: 'archive', pid: process.pid, owner: currentOwner(), startedAt: now, updatedAt: now, kafka: { brokers: ['127.0.0.1:1'], topic: 't', groupId: 'g' } });
    const started = Date.now();
    const r = await readStatus({ archive: a.dir, thresholds: DEFAULT_STATUS_THRESHOLDS, kafkaTimeoutMs: 1500 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.kafka).toMatchObject({ used: true, skipped: expect.stringContaining('brokers 127.0.0.1:1 unreachable') as unknown });
    expect(codes(r)).toContain('WARN KAFKA_LAG_UNCHECKED');
  });
});

describe('rewind status: what people and machines read', () => {
  it('durations in human units, times in ISO, no sentinel positions; --json has the verdict, reasons and ISO times', async () => {
    const a = await archive(4 * 60 + 12);
    await reportAlive(a.dir, `${a.seconds}.5.0`);
    // A durable point at an end-of-second bound, as a restore to a time leaves it.
    await new CatalogStore(a.dir).update((c) => {
      c.durable = `${a.seconds}.4294967295.2147483647`;
    });
    const human = await runRewind(['status', '--archive', a.dir], {});
    expect(human.stdout).not.toMatch(/4294967295|2147483647/);
    expect(human.stdout).toMatch(/^lag: 4 min 1[2-9] s behind the source$/m);
    expect(human.stdout).toMatch(/^durable up to: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z, 4 min 1[2-9] s ago$/m);
    expect(human.stdout).toMatch(/^restorable window: \S+Z \(\d+\.2\.0\) → \S+Z$/m);
    // Below the default thresholds (5 min): healthy.
    expect(human.stdout.split('\n')[0]).toBe('OK: healthy');
    expect(human.stdout).toContain('last verify: never');
    expect(human.stdout).toContain('source mongodb://u:***@db reachable');
    expect(human.stdout).not.toContain('secret');
    expect(human.stdout).not.toMatch(/\d+\.\d s\b/);

    const json = await runRewind(['status', '--archive', a.dir, '--json'], {});
    const r = JSON.parse(json.stdout) as StatusResult;
    expect(r).toMatchObject({ verdict: 'OK', sourceId: 'status-test', lag: { from: 'collector' }, snapshots: { count: 1 }, segments: { count: 2, events: 3 }, openGaps: 0, lastVerify: null, kafka: { used: false } });
    expect(r.reasons).toEqual([]);
    expect(r.lag?.ms).toBeGreaterThanOrEqual(252_000);
    expect(r.checkedAt).toMatch(ISO);
    expect(r.window?.latest).toMatchObject({ endOfSecond: true, time: expect.stringMatching(ISO) as unknown });
    expect(r.durable?.ageMs).toBeGreaterThanOrEqual(252_000);
    expect(r.processes[0]).toMatchObject({ liveness: 'running', collector: { source: 'mongodb://u:***@db' } });
    expect(r.thresholds).toEqual(DEFAULT_STATUS_THRESHOLDS);
  });
});
