/**
 * `rewind up --mongo <uri> --archive <dir>`: collector, embedded event log and
 * archiver in one process: the default on one machine. Wiring only; the work
 * is in services/collector, services/eventlog and services/archiver. Also
 * exports the small pieces `rewind collect` and `rewind archive` share.
 */
import { join } from 'node:path';
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { archiveDirOverride, commonOverrides, configFile, mongoOverrides } from './capture-flags.js';
import { checkCapturePaths } from './capture-paths.js';
import type { CommonCaptureFlags, MongoCaptureFlags } from './capture-flags.js';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { ConfigError } from '../../../contracts/config.js';
import { loadUpConfig } from '../../../contracts/runtime-config.js';
import type { UpConfig } from '../../../contracts/runtime-config.js';
import { openArchiveAt } from '../../archive/index.js';
import type { ArchiveAccess, OpenedArchive } from '../../archive/index.js';
import { Archiver } from '../../archiver/archiver.js';
import { STATUS_DIR, startStatusWriter } from '../../archiver/process-status.js';
import type { StatusTarget } from '../../archiver/process-status.js';
import { Collector } from '../../collector/collector.js';
import { MongoChangeSource } from '../../collector/mongo-change-source.js';
import { MongoCopySource } from '../../collector/mongo-copy-source.js';
import { announceDeployment } from '../../collector/deployment-identity.js';
import { CatalogResumeStore } from '../../collector/resume-store.js';
import type { ChangeSource, CopySource } from '../../collector/source-port.js';
import { EmbeddedLog } from '../../eventlog/embedded-log.js';
import { startVerifySchedule } from '../../app/verify-schedule.js';

export interface CaptureIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment the command reads (REWIND_*); process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

/** Injected parts: tests and benchmarks drive the same wiring with a recorded source. */
export interface CaptureDeps {
  source?: ChangeSource;
  copySource?: CopySource;
  log?: Logger;
}

export function collectOption(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function captureLogger(process: string, config: { logLevel: string; sourceId: string }): Logger {
  return pino({ level: config.logLevel, base: { process, sourceId: config.sourceId } });
}

/** Loads config; a bad value stops the command with exit code 2 and a message naming the field. */
export function loadOrExit<T>(command: string, io: CaptureIo, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`rewind ${command}: ${err.message}\n`);
      throw new CommanderError(2, 'rewind.CONFIG_INVALID', err.message);
    }
    throw err;
  }
}

/** Runs `job` with SIGTERM/SIGINT wired to a graceful drain; failures exit 1 with the error's code. */
export async function runUntilSignalled(command: string, io: CaptureIo, job: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await job(controller.signal);
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; retryable?: unknown };
    const message = String(e.message ?? err);
    // Catalogued errors already lead their message with the code.
    const prefix = typeof e.code === 'string' && !message.startsWith(`${e.code}:`) ? `${e.code}: ` : '';
    io.stderr(`rewind ${command}: ${prefix}${message}${e.retryable === true ? ' (retrying may help)' : ''}\n`);
    throw new CommanderError(1, `rewind.${typeof e.code === 'string' ? e.code : 'FAILED'}`, String(e.message ?? err));
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}

function mongoParts(config: { mongo: { uri: string; batchSize: number } }, deps: CaptureDeps) {
  const mongo = deps.source ? null : MongoChangeSource.create(config.mongo.uri, { batchSize: config.mongo.batchSize });
  const source = deps.source ?? (mongo as MongoChangeSource);
  const copySource = deps.copySource ?? new MongoCopySource((mongo as MongoChangeSource).client);
  // The real source's client, to ask the deployment what it is (none for an injected source).
  return { source, copySource, client: mongo?.client ?? null };
}

export { mongoParts };

/** The archive's S3 settings and encryption keys, as the config gives them. */
export function archiveAccessOf(archive: UpConfig['archive']): ArchiveAccess {
  return { ...(archive.s3 ? { s3: archive.s3 } : {}), ...(archive.encryption ? { encryption: archive.encryption } : {}) };
}

/** Status files of a folder archive stay local files; an object-store archive gets status objects. */
export function statusTargetOf(archive: OpenedArchive): StatusTarget {
  return archive.location.kind === 'fs' ? join(archive.root, STATUS_DIR) : archive.store;
}

/** Runs the whole capture in this process until `signal` aborts, then drains and commits. */
export async function runUp(config: UpConfig, deps: CaptureDeps, signal: AbortSignal): Promise<void> {
  const log = deps.log ?? captureLogger('up', config);
  const { source, copySource, client } = mongoParts(config, deps);
  const archive = openArchiveAt(config.archive.dir, archiveAccessOf(config.archive));
  const { store, catalog } = archive;
  // Before the collector reads its resume point: an archive of another source is refused here.
  await catalog.init(config.sourceId);
  const eventLog = new EmbeddedLog();
  const collector = new Collector({
    source,
    copySource,
    producer: eventLog.producer,
    resumeStore: new CatalogResumeStore(() => catalog.readIfExists()),
    log,
    scope: { include: config.mongo.include, exclude: config.mongo.exclude },
    pollWaitMs: config.mongo.pollWaitMs,
    copyBatchSize: config.mongo.copyBatchSize,
  });
  const archiver = new Archiver({
    consumer: eventLog.consumer,
    store,
    catalog,
    sourceId: config.sourceId,
    log,
    segmentMaxBytes: config.archive.segmentMaxBytes,
    segmentMaxAgeMs: config.archive.segmentMaxAgeMs,
    codec: config.archive.codec,
    compaction: { ...config.compaction, memoryBytes: config.compactionMemoryBytes },
    retention: config.retention,
    logEnded: () => eventLog.ended,
  });
  const stopStatus = startStatusWriter(statusTargetOf(archive), () => ({
    process: 'up',
    collector: collector.status(),
    archiver: archiver.status(),
  }));
  // Beside the archiver, not inside it: shares only the opened archive (its catalog writer).
  const verifySchedule = startVerifySchedule({ archive, config: config.verify, log });
  const onAbort = () => {
    log.info('stop requested: draining');
    void collector.stop();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    // First in the log: what the source is, for the catalog (the embedded queue takes it at once).
    if (client) await announceDeployment(client, eventLog.producer, log);
    await Promise.all([
      collector.run().catch(async (err: unknown) => {
        await archiver.stop();
        throw err;
      }),
      archiver.run().catch(async (err: unknown) => {
        await collector.stop();
        throw err;
      }),
    ]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    await verifySchedule.stop();
    await stopStatus();
    await source.close().catch(() => undefined);
  }
}

interface UpFlags extends CommonCaptureFlags, MongoCaptureFlags {
  archive?: string;
}

export function registerUpCommand(program: Command, io: CaptureIo): Command {
  return program
    .command('up')
    .description('capture a MongoDB deployment continuously into an archive: collector, embedded log and archiver in one process')
    .option('--mongo <uri>', 'source MongoDB URI, a replica set (env REWIND_MONGO_URI)')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR; S3 settings REWIND_S3_* or archive.s3)')
    .option('--config <file>', 'JSON configuration file; env REWIND_* and flags override it')
    .option('--source-id <id>', 'name of the captured source (env REWIND_SOURCE_ID)')
    .option('--include <pattern>', 'capture only matching namespaces, db.coll with * wildcards; repeatable', collectOption, [])
    .option('--exclude <pattern>', 'leave out matching namespaces; repeatable', collectOption, [])
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .action(async (flags: UpFlags) => {
      const config = loadOrExit('up', io, () =>
        loadUpConfig({
          ...configFile(flags),
          env: io.env ?? process.env,
          overrides: { ...commonOverrides(flags), ...archiveDirOverride(flags.archive), ...mongoOverrides(flags) },
        }),
      );
      await checkCapturePaths('up', io, config);
      await runUntilSignalled('up', io, (signal) => runUp(config, {}, signal));
    });
}
