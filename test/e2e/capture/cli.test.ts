import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadUpConfig } from '../../../contracts/runtime-config.js';
import { registerArchiveCommand } from '../../../services/cli/commands/archive.js';
import { registerCollectCommand } from '../../../services/cli/commands/collect.js';
import { registerStatusCommand } from '../../../services/cli/commands/status.js';
import { readStatus } from '../../../services/app/status.js';
import { DEFAULT_STATUS_THRESHOLDS } from '../../../contracts/status-thresholds.js';
import { runUp } from '../../../services/app/index.js';
import { registerUpCommand } from '../../../services/cli/commands/up.js';
import { printError } from '../../../services/cli/print-error.js';
import { MongoChangeSource, mongoClientOptions } from '../../../services/collector/mongo-change-source.js';
import { MongoCopySource } from '../../../services/collector/mongo-copy-source.js';
import { RecordedChangeSource } from '../../../services/collector/testing/recorded-change-source.js';
import { RecordedCopySource } from '../../../services/collector/testing/recorded-copy-source.js';
import { syntheticStream } from '../../../services/collector/testing/synthetic-stream.js';

const captureStatus = (archive: string) => readStatus({ archive, thresholds: DEFAULT_STATUS_THRESHOLDS });
const silent = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t) };
  const program = new Command('rewind').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerUpCommand(program, io);
  registerCollectCommand(program, io);
  registerArchiveCommand(program, io);
  registerStatusCommand(program, io);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.exitCode, stdout, stderr };
    // Commands throw their failures; runCli prints them through the one printer, as here.
    return { code: printError(io, args[0], err, args.includes('--json')), stdout, stderr };
  } finally {
    process.env = saved;
  }
}

describe('rewind up / collect / archive / status', () => {
  it('stops at start with a message naming the bad field', async () => {
    const up = await cli(['up', '--mongo', 'http://db:27017', '--archive', '/tmp/x']);
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/rewind up: CONFIG_INVALID: invalid configuration: mongo\.uri: expected a mongodb:\/\//);
    const collect = await cli(['collect', '--mongo', 'mongodb://db', '--state-file', '/tmp/s.json'], { REWIND_KAFKA_BROKERS: 'broker-without-port' });
    expect(collect.code).toBe(2);
    expect(collect.stderr).toMatch(/kafka\.brokers\.0: expected host:port/);
    const archive = await cli(['archive', '--archive', '/tmp/x', '--kafka-brokers', 'k:9092'], { REWIND_SEGMENT_MAX_AGE: 'often' });
    expect(archive.code).toBe(2);
    expect(archive.stderr).toMatch(/archive\.segmentMaxAgeMs: expected a duration/);
  });

  it('status reports lag, window, counts, gaps and the running process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-status-'));
    dirs.push(dir);
    const events = syntheticStream({ events: 1500, perSecond: 300, startSeconds: Math.floor(Date.now() / 1000) - 60 });
    // A fresh start records from the moment its stream opens: the lead leaves room for a slow start on a busy machine.
    const t0 = Date.now() + 1000;
    const source = new RecordedChangeSource(events, { batchSize: 100, availableAtMs: (i) => t0 + i });
    const config = loadUpConfig({ overrides: { mongo: { uri: 'mongodb://recorded' }, archive: { dir, segmentMaxAgeMs: 100 } } });
    const controller = new AbortController();
    const running = runUp({ config, source, copySource: new RecordedCopySource(() => []), log: silent, signal: controller.signal });
    const deadline = Date.now() + 20_000;
    let report = await captureStatus(dir).catch(() => null);
    while ((!report || report.segments.events < 1500 || report.processes.length === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      report = await captureStatus(dir).catch(() => null);
    }
    expect(report?.segments.events).toBe(1500);
    expect(report?.snapshots.count).toBe(1);
    expect(report?.window).not.toBeNull();
    expect(report?.gaps).toEqual([]);
    // The recorded events are stamped about a minute ago.
    expect(report?.lag?.ms).toBeGreaterThan(40_000);
    expect(report?.processes[0]).toMatchObject({ process: 'up', running: true });
    const human = await cli(['status', '--archive', dir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^lag: \d+ min( \d+ s)? behind the source$/m);
    expect(human.stdout).toMatch(/segments: \d+ \(1500 events/);
    expect(human.stdout).toMatch(/collector: streaming; source recorded change events \(1500\) reachable/);
    controller.abort();
    await running;
    const json = JSON.parse((await cli(['status', '--archive', dir, '--json'])).stdout) as { segments: { events: number }; processes: { collector: { state: string } }[] };
    expect(json.segments.events).toBe(1500);
    expect(json.processes[0]?.collector.state).toBe('stopped');
  });

  it('keeps retrying an unreachable source with backoff, shows it in status, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-unreachable-'));
    dirs.push(dir);
    const uri = 'mongodb://127.0.0.1:9/';
    const client = new MongoClient(uri, { ...mongoClientOptions, serverSelectionTimeoutMS: 200 });
    const config = loadUpConfig({ overrides: { mongo: { uri }, archive: { dir } } });
    const controller = new AbortController();
    const running = runUp({ config, source: new MongoChangeSource(client, uri), copySource: new MongoCopySource(client), log: silent, signal: controller.signal });
    const deadline = Date.now() + 15_000;
    let collector: { state?: string; sourceReachable?: boolean; reconnectAttempts?: number } | undefined;
    while (Date.now() < deadline && !((collector?.reconnectAttempts ?? 0) >= 2)) {
      await new Promise((r) => setTimeout(r, 200));
      collector = (await captureStatus(dir)).processes[0]?.collector as typeof collector;
    }
    expect(collector?.sourceReachable).toBe(false);
    expect(collector?.reconnectAttempts).toBeGreaterThanOrEqual(2);
    const human = await cli(['status', '--archive', dir]);
    expect(human.stdout).toMatch(/UNREACHABLE \(retry \d+\)/);
    controller.abort();
    await running;
    expect(((await captureStatus(dir)).processes[0]?.collector as { state: string }).state).toBe('stopped');
  });
});
