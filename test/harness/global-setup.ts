// vitest globalSetup (wired in vitest.config.ts): finds or starts the test
// servers once per run, hands their addresses to the test files through
// provide/inject (read them with kafka(), mongoWire(), mongoReplica() from
// ./index.ts), prints one line naming each server, and stops everything it
// started when the run ends. See server-process.ts for how no process is
// left behind when the run fails or is interrupted.
import type { TestProject } from 'vitest/node';
import { chooseKafka, chooseMongo, chooseS3 } from './choose-servers.js';
import { ensureFreshBuild } from './fresh-build.js';
import type { InstallState } from './install-manifest.js';
import { loadInstallState } from './install-manifest.js';
import type { TestServers } from './server-info.js';
import { TEST_SERVERS_KEY, formatBanner } from './server-info.js';
import { killAllNow } from './server-process.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureFreshBuild();
  const started = Date.now();
  // The install state is read at most once, and only when a local route is needed.
  let installState: Promise<InstallState> | undefined;
  const install = (): Promise<InstallState> => (installState ??= loadInstallState());

  const timings: string[] = [];
  const timed = async <T>(label: string, chosen: Promise<T>): Promise<T> => {
    const begun = Date.now();
    try {
      return await chosen;
    } finally {
      timings.push(`${label} ${((Date.now() - begun) / 1000).toFixed(1)} s`);
    }
  };
  const [kafka, mongo, s3] = await Promise.allSettled([
    timed('kafka', chooseKafka(install)),
    timed('mongo', chooseMongo(install)),
    timed('s3', chooseS3(install)),
  ]);
  const stops = [kafka, mongo, s3].flatMap((chosen) => (chosen.status === 'fulfilled' ? [chosen.value.stop] : []));
  const teardown = async (): Promise<void> => {
    const stopping = Date.now();
    await Promise.allSettled(stops.map((stop) => stop()));
    killAllNow();
    console.log(`test servers: stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
  };
  if (kafka.status === 'rejected' || mongo.status === 'rejected' || s3.status === 'rejected') {
    await teardown();
    throw [kafka, mongo, s3].flatMap((c) => (c.status === 'rejected' ? [c.reason as unknown] : []))[0];
  }

  const servers: TestServers = { kafka: kafka.value.server, wire: mongo.value.wire, replica: mongo.value.replica, s3: s3.value.server };
  project.provide(TEST_SERVERS_KEY, servers);
  for (const note of [...kafka.value.notes, ...mongo.value.notes, ...s3.value.notes]) console.log(`test servers: ${note}`);
  console.log(`test servers: ${formatBanner(servers)} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${timings.join(', ')})`);
  return teardown;
}
