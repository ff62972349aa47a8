/**
 * A capture process as `rewind status` sees it, for the liveness tests:
 * publishes a status file through the real writer and stays alive until
 * killed. `node --import tsx status-writer-child.ts <status dir> <process>`;
 * prints `ready` once the first status is written.
 */
import { readProcessStatuses, startStatusWriter } from '../../archiver/process-status.js';
import type { ProcessStatus } from '../../archiver/process-status.js';

const [dir, kind] = process.argv.slice(2) as [string, ProcessStatus['process']];
startStatusWriter(dir, () => ({ process: kind, collector: { state: 'streaming', source: 'mongodb://child', sourceReachable: true } }));
const wait = setInterval(() => {
  void readProcessStatuses(dir).then((all) => {
    if (all.some((s) => s.pid === process.pid)) {
      clearInterval(wait);
      process.stdout.write('ready\n');
    }
  });
}, 20);
// Alive until killed.
setInterval(() => undefined, 60_000);
