/**
 * A capture process for the crash tests: `rewind up`, `rewind collect` or
 * `rewind archive` exactly as the CLI wires them, except that the change
 * source replays a recorded event sequence (released over wall-clock time
 * from a start instant shared by every incarnation, so a restarted process
 * sees the same "live" stream) instead of a MongoDB the machine cannot run.
 *
 *   node --import tsx capture-child.ts <up|collect|archive> <json settings>
 */
import { CommanderError } from 'commander';
import { pino } from 'pino';
import { loadArchiveRunConfig, loadCollectConfig, loadUpConfig } from '../../../contracts/runtime-config.js';
import { RecordedChangeSource, eventBytes } from '../../../services/collector/testing/recorded-change-source.js';
import { RecordedCopySource } from '../../../services/collector/testing/recorded-copy-source.js';
import { syntheticStream } from '../../../services/collector/testing/synthetic-stream.js';
import { runArchive, runCollect, runUp } from '../../../services/app/index.js';
import { runUntilSignalled } from '../../../services/cli/commands/capture-command.js';
import { printError } from '../../../services/cli/print-error.js';
import { buildFaultWorkload } from '../faults/fault-workload.js';
import type { FaultWorkloadSpec } from '../faults/fault-workload.js';

export interface ChildSettings {
  events: number;
  perSecond: number;
  seed: number;
  startAtMs: number;
  /** Events released per millisecond after startAtMs. */
  ratePerMs: number;
  archiveDir?: string;
  stateFile?: string;
  brokers?: string[];
  topic?: string;
  groupId?: string;
  payloadBytes?: number;
  batchSize?: number;
  /** The fault suite's workload (events and initial copy) instead of the synthetic stream (then `events` is unused). */
  workload?: FaultWorkloadSpec;
}

const [mode, json] = process.argv.slice(2);
const s = JSON.parse(json ?? '{}') as ChildSettings;
const log = pino({ level: process.env.CHILD_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const workload = s.workload ? buildFaultWorkload(s.workload) : null;
const events = workload ? eventBytes(workload.events) : syntheticStream({ events: s.events, perSecond: s.perSecond, seed: s.seed, ...(s.payloadBytes ? { payloadBytes: s.payloadBytes } : {}) });
const source = new RecordedChangeSource(events, { batchSize: s.batchSize ?? 200, availableAtMs: (i) => s.startAtMs + i / s.ratePerMs });
const copySource = new RecordedCopySource(() => workload?.copy ?? []);
const common = { sourceId: 'crash-test', logLevel: 'warn' };
const archive = { dir: s.archiveDir, segmentMaxAgeMs: 200, segmentMaxBytes: 256 * 1024 };
const kafka = { brokers: s.brokers, topic: s.topic, groupId: s.groupId, sessionTimeoutMs: 6000 };
// As the CLI runs a command: SIGTERM drains, a failure is printed with its code (exit 1), never a stack trace.
const io = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t) };
const job = (signal: AbortSignal): Promise<unknown> => {
  if (mode === 'up') {
    const config = loadUpConfig({ overrides: { ...common, mongo: { uri: 'mongodb://recorded' }, archive, compaction: { everyMs: null, afterEvents: null } } });
    return runUp({ config, source, copySource, log, signal });
  }
  if (mode === 'collect') {
    const config = loadCollectConfig({ overrides: { ...common, mongo: { uri: 'mongodb://recorded' }, kafka, stateFile: s.stateFile } });
    return runCollect({ config, source, copySource, log, signal });
  }
  if (mode === 'archive') {
    const config = loadArchiveRunConfig({ overrides: { ...common, kafka, archive, compaction: { everyMs: null, afterEvents: null } } });
    return runArchive({ config, log, signal });
  }
  throw new Error(`unknown mode ${String(mode)}`);
};
try {
  await runUntilSignalled(mode ?? '?', io, job);
} catch (err) {
  // As runCli ends a command: commander's own exit, or the error printed once by the one printer
  // (`rewind <mode>: CODE: message`), which the fault suite reads from stderr.
  process.exitCode = err instanceof CommanderError ? err.exitCode : printError(io, mode, err, false);
}
