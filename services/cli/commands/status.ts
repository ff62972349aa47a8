/**
 * `rewind status --archive <dir> [--config <file>] [--json] [--fail-on-warn]`:
 * the health verdict of services/app/status.ts, as lines for people or JSON.
 * Exit code 4 when the verdict is CRIT; WARN exits 0 (a monitor reads the
 * verdict line or `verdict` in the JSON) unless --fail-on-warn makes it 4 too.
 * Thresholds come from the `status` key of the config file.
 */
import { archiveDirFromEnv } from '../archive-dir-env.js';
import { RewindError } from '../../../contracts/errors.js';
import type { Command } from 'commander';
import { humanDuration } from '../../../contracts/human-duration.js';
import { loadStatusThresholds } from '../../../contracts/status-thresholds.js';
import { readStatus } from '../../app/status.js';
import type { StatusPoint, StatusProcess, StatusResult } from '../../app/status.js';
import type { CaptureIo } from './capture-command.js';




/** ISO time, and the exact position only where it is an event's (an end-of-second bound shows no sentinel numbers). */
const at = (p: StatusPoint) => (p.endOfSecond ? p.time : `${p.time} (${p.position})`);
const ago = (ms: number) => `${humanDuration(ms)} ago`;

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

function describeProcess(p: StatusProcess, checkedAt: string): string[] {
  const seen = ago(Date.parse(checkedAt) - Date.parse(p.updatedAt));
  const state: Record<StatusProcess['liveness'], string> = {
    running: `running since ${p.startedAt}`,
    'presumed-running': `running as far as can be told (pid not checkable from here), status ${seen}`,
    stopped: `stopped at ${p.stoppedAt ?? p.updatedAt}`,
    dead: `NOT RUNNING: gone without a clean stop, last seen ${p.updatedAt} (${seen})`,
    hung: `HUNG: alive, but its status has not moved since ${p.updatedAt} (${seen})`,
    silent: `not running (no report since ${p.updatedAt}, ${seen})`,
  };
  const lines = [`  ${p.process} (pid ${p.pid}${p.host ? ` on ${p.host}` : ''}): ${state[p.liveness]}`];
  const c = p.collector;
  if (c) {
    lines.push(`    collector: ${c.state ?? '?'}; source ${c.source ?? '?'} ${c.sourceReachable ? 'reachable' : `UNREACHABLE${c.reconnectAttempts ? ` (retry ${c.reconnectAttempts})` : ''}`}${c.published ? `; published up to ${at(c.published)}` : ''}`);
    if (c.copyDocuments !== null) lines.push(`    initial copy: ${c.copyDocuments} documents so far`);
    if (c.lastError && !c.sourceReachable) lines.push(`    last error: ${c.lastError}`);
  }
  const a = p.archiver;
  if (a) lines.push(`    archiver: ${a.state ?? '?'}; ${a.eventsArchived ?? 0} events archived, ${a.duplicatesDropped ?? 0} duplicates dropped, open segment ${a.openSegmentEvents !== null ? `${a.openSegmentEvents} events` : 'none'}`);
  if (p.kafka) lines.push(`    kafka: ${p.kafka.topic} on ${p.kafka.brokers.join(',')}${p.kafka.groupId ? `, group ${p.kafka.groupId}` : ''}`);
  return lines;
}

export function formatStatus(r: StatusResult): string {
  const lines = [`${r.verdict}${r.reasons.length ? `: ${r.reasons.length} problem(s)` : ': healthy'}`];
  for (const reason of r.reasons) lines.push(`  ${reason.level} ${reason.code}: ${reason.message}`);
  lines.push(`source ${r.sourceId}`);
  lines.push(`archive: ${r.archive} (checked ${r.checkedAt})`);
  lines.push(`lag: ${r.lag === null ? 'nothing captured yet' : `${humanDuration(r.lag.ms)} behind the source${r.lag.from === 'durable' ? ' (by the durable point)' : ''}`}`);
  lines.push(`durable up to: ${r.durable ? `${at(r.durable)}, ${ago(r.durable.ageMs)}` : '-'}`);
  lines.push(`restorable window: ${r.window ? `${at(r.window.earliest)} → ${at(r.window.latest)}` : 'none yet (no base snapshot)'}`);
  lines.push(`snapshots: ${r.snapshots.count}${r.snapshots.newest ? `, newest ${r.snapshots.newest.kind} ${r.snapshots.newest.id} at ${at(r.snapshots.newest.at)}` : ''}`);
  lines.push(`segments: ${r.segments.count} (${r.segments.events} events, ${bytes(r.segments.bytes)})`);
  lines.push(`gaps: ${r.gaps.length === 0 ? 'none' : `${r.openGaps} open, ${r.gaps.length - r.openGaps} closed`}`);
  for (const g of r.gaps) {
    lines.push(`  ${g.to ? 'closed' : 'OPEN'}${g.pending ? ' (pending: the running archiver adds it to the catalog)' : ''}: after ${at(g.from)}${g.to ? ` until ${at(g.to)}` : ' (no base snapshot since)'}: ${g.reason}`);
  }
  const v = r.lastVerify;
  if (!v) lines.push('last verify: never');
  else {
    const scope = v.scope === 'all' ? `all ${v.filesChecked} file(s)` : `a sample of ${v.filesChecked} of ${v.catalogFiles} file(s)`;
    lines.push(`last verify: ${v.verifiedAt} (${ago(v.ageMs)}, ${v.by === 'schedule' ? 'scheduled' : 'rewind verify'}, ${scope}): ${v.problems.length === 0 ? 'all sound' : `${v.problems.length} bad or unreadable`}`);
    for (const p of v.problems) lines.push(`  BAD ${p.path} (${p.owner}): ${p.code}`);
  }
  lines.push(`processes: ${r.processes.length === 0 ? 'none reported' : ''}`);
  for (const p of r.processes) lines.push(...describeProcess(p, r.checkedAt));
  if (r.kafka.used) {
    lines.push(
      'lag' in r.kafka
        ? `kafka: group ${r.kafka.lag.groupId} is ${r.kafka.lag.messages} message(s) behind ${r.kafka.lag.topic}`
        : `kafka: consumer lag not checked: ${r.kafka.skipped}`,
    );
  }
  for (const u of r.unreadable) lines.push(`  unreadable ${u.file.endsWith('.json') && u.file.includes('.status') ? 'status file' : 'file'} ${u.file}: ${u.problem}`);
  return `${lines.join('\n')}\n`;
}

interface StatusFlags {
  archive?: string;
  config?: string;
  json?: boolean;
  failOnWarn?: boolean;
}

export function registerStatusCommand(program: Command, io: CaptureIo): Command {
  return program
    .command('status')
    .description('health verdict (OK / WARN / CRIT, exit 4 on CRIT): lag, durable point, window, gaps, last verify, capture processes, Kafka lag')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--config <file>', 'JSON configuration file: thresholds in its `status` key (the capture processes\' file will do)')
    .option('--fail-on-warn', 'exit 4 on WARN as well as on CRIT')
    .option('--json', 'print JSON')
    .action(async (flags: StatusFlags) => {
      const dir = flags.archive ?? archiveDirFromEnv(io.env);
      if (!dir) {
        throw new RewindError('BAD_OPTIONS', 'give --archive <dir> (or REWIND_ARCHIVE_DIR), e.g. rewind status --archive /var/lib/rewind');
      }
      // A bad config (CONFIG_INVALID, exit 2) or an unreadable archive is thrown: runCli prints it once.
      const thresholds = loadStatusThresholds(flags.config);
      // An S3 archive's settings (REWIND_S3_*): their module only for an s3:// archive.
      const access = dir.startsWith('s3://') ? (await import('../../../contracts/runtime-config.js')).archiveAccessFromEnv(io.env ?? process.env) : {};
      const report: StatusResult = await readStatus({ archive: dir, access, thresholds });
      io.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
      if (report.verdict === 'CRIT' || (report.verdict === 'WARN' && flags.failOnWarn === true)) {
        // The report above says why; the error carries the exit code (4) and prints one line on stderr.
        throw new RewindError('STATUS_CRITICAL', `status ${report.verdict}: ${report.reasons.length} reason(s) above`, { reported: true });
      }
    });
}
