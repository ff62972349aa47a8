// Every rewind service of the compose file, started the way its container would start it,
// outside a container: the image's runtime stage rebuilt in a folder (image-stage.ts), the
// service's command and environment exactly as compose resolves them, with only what a
// container engine would provide mapped: container host names to this machine's test
// servers, and the image's /var/lib/rewind volume folders to a scratch folder.
//
// What this cannot run here (no container engine, no mongod) is said in the README:
// `rewind collect` reaches the MongoDB stand-in, which is a standalone server without change streams, so it is
// checked to get that far and refuse with SOURCE_NOT_REPLICA_SET, not to capture.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itWith, kafka } from '../../harness/index.js';
import { uniqueBucket, uniqueTopic } from '../../harness/unique-names.js';
import { composeCheck, REPO } from './deploy-support.js';
import type { ResolvedProject, ResolvedService } from './deploy-support.js';
import { buildRuntimeStage } from './image-stage.js';
import type { RuntimeStage } from './image-stage.js';

const check = await composeCheck();

interface Started {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function start(command: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Started {
  const [program, ...args] = command;
  const child = spawn(program as string, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('compose entry commands, run outside a container', check.ok ? {} : { skip: true, meta: { skipReason: `compose-check: ${check.reason}` } }, () => {
  let project: ResolvedProject;
  let stage: RuntimeStage;
  let scratch: string;

  beforeAll(async () => {
    if (!check.ok) return;
    project = await check.load(join(REPO, 'docker-compose.yml'));
    scratch = await mkdtemp(join(tmpdir(), 'rewind-entry-'));
    stage = await buildRuntimeStage(scratch);
  }, 10 * 60_000);
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** The service's environment with the container's names mapped to this machine. */
  function environment(service: ResolvedService, map: Record<string, string>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: scratch, ...stage.env };
    for (const [key, value] of Object.entries(service.environment ?? {})) if (value !== null) env[key] = value;
    for (const [key, value] of Object.entries({ ...env, ...extra })) {
      let mapped = value;
      for (const [from, to] of Object.entries(map)) mapped = mapped?.split(from).join(to);
      env[key] = mapped;
    }
    return env;
  }

  /** The image's entrypoint plus the service's command, with its volume paths mapped. */
  function commandOf(service: ResolvedService): string[] {
    const entry = service.entrypoint ?? stage.entrypoint;
    return [...entry.map((a) => a.replace(/^\/app\//, `${stage.appDir}/`)), ...(service.entrypoint ? [] : (service.command ?? []))];
  }

  it('the runtime stage holds what every role needs, with production dependencies only', () => {
    if (!check.ok) return;
    // Only the state-folder RUN line is not executed (it makes /var/lib/rewind, mapped to scratch folders here).
    expect(stage.notRun).toEqual([expect.stringMatching(/^mkdir -p \/var\/lib\/rewind/)]);
    expect(stage.entrypoint[1]).toBe(join(stage.appDir, 'bin', 'rewind.mjs'));
  });

  itWith('kafka', 'rewind-archive: starts, is healthy by its own healthcheck, and drains on SIGTERM', async (broker) => {
    if (!check.ok) return;
    const service = project.services['rewind-archive'] as ResolvedService;
    const volumes = join(scratch, 'archive-role');
    const env = environment(service, { 'kafka:29092': broker.brokers.join(','), '/var/lib/rewind': volumes }, { REWIND_KAFKA_TOPIC: uniqueTopic('compose-archive') });
    const archive = start(commandOf(service), env, stage.appDir);
    try {
      // The healthcheck compose runs in the container, with the same paths mapped.
      const health = service.healthcheck?.test?.slice(1).map((a) => a.replace(/^\/app\//, `${stage.appDir}/`).replace('/var/lib/rewind', volumes)) ?? [];
      expect(health[0]).toBe('node');
      await until('the archive healthcheck to pass', async () => ((await start(health, env, stage.appDir).exited) === 0 ? true : undefined));
      archive.child.kill('SIGTERM');
      expect(await archive.exited).toBe(0);
      // --json: every line the process printed is a JSON object.
      for (const line of archive.lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
      // Stopped: the status file ages, and the same healthcheck then fails.
      expect(await start(health, { ...env, REWIND_HEALTH_MAX_AGE_MS: '0' }, stage.appDir).exited).toBe(1);
    } finally {
      archive.child.kill('SIGKILL');
    }
  }, 120_000);

  itWith('wire', 'rewind-collect: reaches the source and the broker, and the stand-in, a standalone server, is refused', async (wire) => {
    if (!check.ok) return;
    const broker = kafka();
    if (!broker.available) throw new Error(`collect needs Kafka too: ${broker.reason}`);
    const service = project.services['rewind-collect'] as ResolvedService;
    const env = environment(service, {
      'mongodb://mongo:27017/?replicaSet=rs0': wire.uri,
      'kafka:29092': broker.brokers.join(','),
      '/var/lib/rewind': join(scratch, 'collect-role'),
    }, { REWIND_KAFKA_TOPIC: uniqueTopic('compose-collect') });
    const collect = start(commandOf(service), env, stage.appDir);
    const code = await Promise.race([collect.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 90_000))]);
    collect.child.kill('SIGKILL');
    expect(code, collect.lines.join('\n')).toBe(1);
    expect(collect.lines.join('\n')).toMatch(/SOURCE_NOT_REPLICA_SET/);
  }, 120_000);

  itWith('s3', 's3-bucket: creates the archive bucket once, and a second run finds it', async (store) => {
    if (!check.ok) return;
    const service = project.services['s3-bucket'] as ResolvedService;
    const env = environment(service, { 'http://s3:9000': store.endpoint }, {
      AWS_ACCESS_KEY_ID: store.accessKeyId,
      AWS_SECRET_ACCESS_KEY: store.secretAccessKey,
      REWIND_S3_BUCKET: uniqueBucket('compose'),
    });
    const first = start(commandOf(service), env, stage.appDir);
    expect(await first.exited, first.lines.join('\n')).toBe(0);
    expect(first.lines.join('\n')).toMatch(/created/);
    const second = start(commandOf(service), env, stage.appDir);
    expect(await second.exited, second.lines.join('\n')).toBe(0);
    expect(second.lines.join('\n')).toMatch(/exists/);
  }, 120_000);
});
