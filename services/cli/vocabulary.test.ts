/**
 * One vocabulary (README "Command line"): the new spellings, the old ones
 * still working with one deprecation line, a missing required setting named
 * with an example, and help without doubled defaults.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogStore } from '../archive/index.js';
import { tempDir } from '../archive/testing/samples.js';
import { runRewind } from '../../test/e2e/restore/cli-runner.js';
import { lifecycleLine, printLifecycle } from './commands/capture-command.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('rewind-vocabulary-'));
  await new CatalogStore(dir).init('vocabulary');
});
afterAll(async () => cleanup());

const deprecation = (command: string, old: string, now: string) => new RegExp(`^rewind ${command}: ${old} is deprecated, use ${now} `, 'm');
const lines = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;

describe('the command-line vocabulary', () => {
  it('names a missing required setting with its flag, variable and an example (never zod\'s "expected object")', async () => {
    const up = await runRewind(['up'], {});
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/^rewind up: CONFIG_INVALID: invalid configuration: missing --source-uri <uri> \(env REWIND_SOURCE_URI, or mongo\.uri in the --config file\); missing --archive <dir>/);
    expect(up.stderr).toMatch(/for example: rewind up --source-uri "mongodb:\/\/.*" --archive \S+/);
    expect(up.stderr).not.toMatch(/expected object|received undefined/);
    const collect = await runRewind(['collect', '--source-uri', 'mongodb://db1:27017'], {});
    expect(collect.code).toBe(2);
    expect(collect.stderr).toMatch(/missing --kafka-brokers .*missing --state-file .*for example: rewind collect /);
    expect(collect.stderr).not.toMatch(/--source-uri <uri> \(env/);
    const archive = await runRewind(['archive', '--kafka-brokers', 'k:9092'], {});
    expect(archive.code).toBe(2);
    expect(archive.stderr).toMatch(/missing --archive <dir> .*for example: rewind archive /);
    const restore = await runRewind(['restore', '--json'], {});
    expect(restore.code).toBe(2);
    expect(JSON.parse(restore.stdout)).toMatchObject({ error: { code: 'BAD_OPTIONS', message: expect.stringMatching(/give --archive <dir> .*e\.g\. --archive /) as unknown } });
    const history = await runRewind(['history', '--archive', dir], {});
    expect(history.stderr).toMatch(/give --ns <db\.coll> .*e\.g\. rewind history --archive/);
  });

  it('still takes --mongo and REWIND_MONGO_URI for the source, with one deprecation line each', async () => {
    const flag = await runRewind(['up', '--mongo', 'http://db:27017', '--archive', join(dir, 'up')], {});
    expect(flag.code).toBe(2);
    expect(lines(flag.stderr, deprecation('up', '--mongo', '--source-uri'))).toBe(1);
    // The old flag's value reached the configuration: its error names the key it set.
    expect(flag.stderr).toMatch(/mongo\.uri: expected a mongodb:\/\//);
    const env = await runRewind(['collect', '--state-file', join(dir, 's.json'), '--kafka-brokers', 'k:9092'], { REWIND_MONGO_URI: 'http://db:27017' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/^rewind collect: REWIND_MONGO_URI is deprecated, use REWIND_SOURCE_URI /m);
    expect(env.stderr).toMatch(/mongo\.uri: expected a mongodb:\/\//);
  });

  it('still takes --topic and --group for Kafka', async () => {
    const topic = await runRewind(['collect', '--source-uri', 'mongodb://db1:27017', '--kafka-brokers', 'k:9092', '--state-file', join(dir, 's.json'), '--topic', 'not a topic!'], {});
    expect(topic.code).toBe(2);
    expect(lines(topic.stderr, deprecation('collect', '--topic', '--kafka-topic'))).toBe(1);
    expect(topic.stderr).toMatch(/kafka\.topic: Kafka topic names use/);
    const group = await runRewind(['archive', '--archive', join(dir, 'a'), '--kafka-brokers', 'no-port', '--group', 'g', '--topic', 't'], {});
    expect(group.code).toBe(2);
    expect(lines(group.stderr, deprecation('archive', '--group', '--kafka-group'))).toBe(1);
    expect(lines(group.stderr, deprecation('archive', '--topic', '--kafka-topic'))).toBe(1);
  });

  it('still takes restore --target, --source, --to and --to-position, and diff --target and --source', async () => {
    const missing = join(dir, 'no-such-archive');
    const target = await runRewind(['restore', '--archive', missing, '--target', 'notauri'], {});
    expect(target.code).toBe(2);
    expect(lines(target.stderr, deprecation('restore', '--target', '--target-uri'))).toBe(1);
    expect(target.stderr).toMatch(/BAD_OPTIONS: --target-uri: expected a mongodb:\/\//);
    const source = await runRewind(['restore', '--archive', missing, '--source', 'notauri'], {});
    expect(lines(source.stderr, deprecation('restore', '--source', '--source-uri'))).toBe(1);
    expect(source.stderr).toMatch(/BAD_OPTIONS: --source-uri: expected a mongodb:\/\//);
    const to = await runRewind(['restore', '--archive', missing, '--target-uri', 'mongodb://127.0.0.1:1', '--to', '2026-01-01'], {});
    expect(lines(to.stderr, deprecation('restore', '--to', '--at'))).toBe(1);
    expect(to.stderr).toMatch(/BAD_POSITION: .*2026-01-01/);
    const both = await runRewind(['restore', '--archive', missing, '--target-uri', 'mongodb://127.0.0.1:1', '--to-position', '1.2', '--before-event', 'x'], {});
    expect(lines(both.stderr, deprecation('restore', '--to-position', '--at-position'))).toBe(1);
    expect(both.stderr).toMatch(/BAD_OPTIONS: give one point in time, not --at-position and --before-event/);
    const diffTarget = await runRewind(['diff', '--archive', missing, '--ns', 'a.b', '--target', 'notauri'], {});
    expect(lines(diffTarget.stderr, deprecation('diff', '--target', '--target-uri'))).toBe(1);
    expect(diffTarget.stderr).toMatch(/BAD_OPTIONS: --target-uri: expected a mongodb:\/\//);
    const diffSource = await runRewind(['diff', '--archive', missing, '--ns', 'a.b', '--source', 'notauri'], {});
    expect(lines(diffSource.stderr, deprecation('diff', '--source', '--source-uri'))).toBe(1);
    expect(diffSource.stderr).toMatch(/BAD_OPTIONS: --source-uri: expected a mongodb:\/\//);
  });

  it('help shows each default once, never "(default: [])", and hides the old spellings', async () => {
    for (const command of ['up', 'collect', 'archive', 'restore', 'diff', 'history', 'catalog']) {
      const help = await runRewind([command, '--help'], {});
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).not.toMatch(/\(default: \[\]\)/);
      for (const line of help.stdout.split('\n')) expect(line.match(/\(default:/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
      expect(help.stdout, command).not.toMatch(/--mongo\b|--to\b|--to-position|--target\s|--source\s|--topic|--group/);
      expect(help.stdout, command).toMatch(/--json/);
    }
    expect((await runRewind(['restore', '--help'], {})).stdout).toMatch(/--ns <pattern> .*\(default: all\)/s);
  });

  it('up, collect and archive print their lifecycle as lines, and as JSON lines with --json', () => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t) };
    printLifecycle('up', io, true)({ event: 'started', process: 'up', sourceId: 's', archive: '/a', pid: 7 });
    printLifecycle('up', io, true)({ event: 'stopping', process: 'up', reason: 'signal' });
    const json = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json).toMatchObject([{ event: 'started', process: 'up', sourceId: 's', archive: '/a', pid: 7 }, { event: 'stopping', process: 'up' }]);
    expect(typeof json[0]?.time).toBe('string');
    expect(stderr).toBe('');
    printLifecycle('collect', io, false)({ event: 'started', process: 'collect', sourceId: 's', topic: 'rewind.s.events', pid: 7 });
    expect(stderr).toBe(`rewind collect: ${lifecycleLine({ event: 'started', process: 'collect', sourceId: 's', topic: 'rewind.s.events', pid: 7 })}\n`);
    expect(stderr).toMatch(/started \(pid 7\): source s via Kafka topic rewind\.s\.events/);
  });
});
