/**
 * The shipped build: bin/rewind.mjs runs the JavaScript `npm run build` compiled
 * into dist/ (the vitest setup builds it when stale), with no TypeScript loader,
 * and the quick commands load none of the heavy libraries. What a process
 * loaded is recorded by loader hooks (record-loads.mjs), so these tests see
 * the modules themselves, not a timing.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogStore } from '../../../services/archive/index.js';
import { tempDir } from '../../../services/archive/testing/samples.js';
import { threadEntry } from '../../../services/eventlog/kafka-log.js';
import { describeWith, uniqueTopic } from '../../harness/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'rewind.mjs');
const RECORD_LOADS = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));
const KAFKA_ROUND_TRIP = fileURLToPath(new URL('./kafka-round-trip.mjs', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Libraries the quick commands must not load: each costs tens of milliseconds at start. */
const HEAVY = ['mongodb', 'kafkajs', 'avsc', 'pino', 'fastify', 'prom-client', 'cli-progress'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** URLs of every module the process loaded through the ESM loader. */
  loaded: string[];
}

let dir: string;
let cleanup: () => Promise<void>;
let runs = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('rewind-shipped-'));
});
afterAll(async () => cleanup());

/** Runs `node --import record-loads.mjs <args>` in a clean environment and reads what it loaded. */
function node(args: string[]): Promise<Run> {
  const loads = join(dir, `loads-${++runs}.txt`);
  const env = { ...process.env, REWIND_ARCHIVE_DIR: '', NODE_OPTIONS: '', REWIND_RECORD_LOADS: loads };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', RECORD_LOADS, ...args], { cwd: ROOT, env }, (err, stdout, stderr) => {
      void readFile(loads, 'utf8')
        .catch(() => '')
        .then((text) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr, loaded: text.split('\n').filter((l) => l !== '') });
        });
    });
  });
}

const packagesLoaded = (r: Run) => [...new Set(r.loaded.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []))].sort();
const projectModules = (r: Run) => r.loaded.filter((u) => u.startsWith(pathToFileURL(ROOT).href) && !u.includes('/node_modules/')).map((u) => u.slice(pathToFileURL(ROOT).href.length));

describe('the shipped build (bin/rewind.mjs runs dist/)', () => {
  it('--version runs compiled JavaScript only: no .ts module, no tsx, no library but commander', async () => {
    const r = await node([BIN, '--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    // The hooks saw the run: the entry and the compiled program.
    expect(projectModules(r)).toEqual(expect.arrayContaining(['bin/rewind.mjs', 'dist/services/cli/main.js', 'dist/services/cli/program.js']));
    expect(projectModules(r).filter((m) => m !== 'bin/rewind.mjs' && !m.startsWith('dist/'))).toEqual([]);
    expect(r.loaded.filter((u) => u.endsWith('.ts'))).toEqual([]);
    expect(packagesLoaded(r)).toEqual(['commander']);
  });

  it('status on an empty archive reads the catalog without the driver, Kafka, Avro or the logger', async () => {
    const archive = join(dir, 'empty-archive');
    await new CatalogStore(archive).init('shipped');
    const r = await node([BIN, 'status', '--archive', archive]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('source shipped\n');
    expect(r.stdout).toContain('lag: nothing captured yet');
    expect(r.loaded.filter((u) => u.endsWith('.ts'))).toEqual([]);
    expect(packagesLoaded(r)).not.toContain('tsx');
    expect(packagesLoaded(r).filter((p) => HEAVY.includes(p))).toEqual([]);
    // Only status's own module of the nine commands.
    expect(projectModules(r).filter((m) => m.startsWith('dist/services/cli/commands/'))).toEqual(['dist/services/cli/commands/status.js']);
  });

  it('--help still lists every command (it loads them all)', async () => {
    const r = await node([BIN, '--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['up', 'collect', 'archive', 'status', 'restore', 'diff', 'history', 'catalog', 'verify']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    expect(r.loaded.filter((u) => u.endsWith('.ts'))).toEqual([]);
  });

  it('the compiled Kafka transport starts its worker threads from their compiled .js files', () => {
    const compiled = pathToFileURL(join(ROOT, 'dist', 'services', 'eventlog', 'kafka-log.js')).href;
    for (const name of ['kafka-producer-thread', 'kafka-consumer-thread'] as const) {
      const entry = threadEntry(name, compiled);
      expect(fileURLToPath(entry)).toBe(join(ROOT, 'dist', 'services', 'eventlog', `${name}.js`));
      expect(existsSync(entry)).toBe(true);
      // From the sources (vitest, tsx), the .mjs shim that registers tsx in the worker.
      expect(fileURLToPath(threadEntry(name, pathToFileURL(join(ROOT, 'services', 'eventlog', 'kafka-log.ts')).href))).toBe(join(ROOT, 'services', 'eventlog', `${name}.mjs`));
    }
  });
});

describeWith('kafka', 'the compiled Kafka transport, on a broker', (server) => {
  it('publishes and consumes through worker threads running dist/, with no TypeScript loaded', async () => {
    const r = await node([KAFKA_ROUND_TRIP, server.brokers.join(','), uniqueTopic('shipped-build')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([1, 2].map((i) => ({
      kind: 'checkpoint',
      checkpoint: { resumeToken: { _data: `82${i}` }, position: `1714564800.${i}.0`, durable: `1714564800.${i}.0` },
    })));
    const threads = projectModules(r).filter((m) => m.endsWith('-thread.js') || m.endsWith('-thread.mjs'));
    expect(threads.sort()).toEqual(['dist/services/eventlog/kafka-consumer-thread.js', 'dist/services/eventlog/kafka-producer-thread.js']);
    expect(r.loaded.filter((u) => u.endsWith('.ts'))).toEqual([]);
    expect(packagesLoaded(r)).not.toContain('tsx');
  }, 90_000);
});
