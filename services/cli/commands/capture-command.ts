/**
 * What `rewind up`, `collect` and `archive` share as commands: loading the
 * config (a bad or missing value exits 2 naming the field, with an example),
 * SIGTERM/SIGINT wired to the job's AbortSignal (a graceful drain), and the
 * job's lifecycle printed as lines: for people on stderr, with `--json` as
 * one JSON object per line on stdout.
 */
import { ConfigError } from '../../../contracts/config.js';
import type { RuntimeConfigSources } from '../../../contracts/runtime-config.js';
import type { CaptureEvent } from '../../app/index.js';
import { nameMissingSettings } from '../missing-flags.js';

export interface CaptureIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment the command reads (REWIND_*); process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

/** The environment of the command, telling stderr of each deprecated variable it uses. */
export function envSources(command: string, io: CaptureIo): Pick<RuntimeConfigSources, 'env' | 'onDeprecated'> {
  return {
    env: io.env ?? process.env,
    onDeprecated: (name, by) => io.stderr(`rewind ${command}: ${name} is deprecated, use ${by} (the old name will be removed)\n`),
  };
}

/**
 * Loads config; a bad value throws a ConfigError (CONFIG_INVALID, exit code 2) naming the field, a missing
 * one with an example, which runCli prints once (print-error.ts).
 */
export function loadOrExit<T>(_command: string, _io: CaptureIo, example: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    const named = nameMissingSettings(err, example);
    if (named instanceof ConfigError) throw named;
    throw err;
  }
}

/** The lifecycle line of one event: JSON for machines, a sentence for people. */
export function lifecycleLine(event: CaptureEvent): string {
  switch (event.event) {
    case 'started':
      return `started (pid ${event.pid}): source ${event.sourceId}${event.archive ? ` into ${event.archive}` : ''}${event.topic ? ` via Kafka topic ${event.topic}` : ''}; SIGTERM or Ctrl-C drains and stops`;
    case 'stopping':
      return 'stop requested: draining (what was captured is committed first)';
    case 'stopped': {
      const c = event.collector;
      const a = event.archiver;
      const parts = [
        ...(c ? [`${c.eventsPublished} event(s) published${c.published ? ` up to ${c.published}` : ''}`] : []),
        ...(a ? [`${a.eventsArchived} event(s) archived, durable ${a.durable ?? 'nothing yet'}`] : []),
      ];
      return `stopped${parts.length ? `: ${parts.join('; ')}` : ''}`;
    }
  }
}

export function printLifecycle(command: string, io: CaptureIo, json: boolean): (event: CaptureEvent) => void {
  return (event) => {
    if (json) io.stdout(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
    else io.stderr(`rewind ${command}: ${lifecycleLine(event)}\n`);
  };
}

/** Runs `job` with SIGTERM/SIGINT wired to a graceful drain; a failure is thrown (runCli prints it with its code and exit code). */
export async function runUntilSignalled(_command: string, _io: CaptureIo, job: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await job(controller.signal);
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
