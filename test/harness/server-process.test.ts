// How test-server processes end: on stop(), on early exit, and when the
// process that started them dies without cleaning up (SIGKILL).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HarnessError } from './harness-error.js';
import { launcherArgs, loadInstallState } from './install-manifest.js';
import { ServerProcess } from './server-process.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

describe('server processes', () => {
  it('waits for the ready line, and stop() ends the process group', async () => {
    // A parent that ignores SIGTERM and starts a grandchild: only a group SIGKILL ends both.
    const script = `
      process.on('SIGTERM', () => {});
      const child = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log('ready grandchild=' + child.pid);
      setInterval(() => {}, 1000);`;
    const server = new ServerProcess({ name: 'sleeper', command: process.execPath, args: ['-e', script] });
    const [, grandchild] = await server.waitForLine(/ready grandchild=(\d+)/, 10_000);
    expect(server.running).toBe(true);
    await server.stop(300);
    expect(server.running).toBe(false);
    expect(await waitUntil(() => !alive(Number(grandchild)), 5_000)).toBe(true);
  });

  it('kill() SIGKILLs the group at once, without the SIGTERM a stop() sends first', async () => {
    // A parent that would write a line on SIGTERM: a kill must end it without one.
    const script = `
      process.on('SIGTERM', () => { console.log('got SIGTERM'); });
      const child = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log('ready grandchild=' + child.pid);
      setInterval(() => {}, 1000);`;
    const server = new ServerProcess({ name: 'crasher', command: process.execPath, args: ['-e', script] });
    const [, grandchild] = await server.waitForLine(/ready grandchild=(\d+)/, 10_000);
    await server.kill();
    expect(server.running).toBe(false);
    expect(await server.exited).toBeNull();
    expect(server.outputTail()).not.toContain('got SIGTERM');
    expect(await waitUntil(() => !alive(Number(grandchild)), 5_000)).toBe(true);
  });

  it('reports a process that exits before it is ready, with its output', async () => {
    const server = new ServerProcess({
      name: 'quitter',
      command: process.execPath,
      args: ['-e', "console.error('bind: address in use'); process.exit(3)"],
    });
    const failure = await server.waitForLine(/server is ready/, 10_000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HarnessError);
    expect((failure as HarnessError).code).toBe('HARNESS_START_FAILED');
    expect((failure as HarnessError).message).toContain('bind: address in use');
    expect(await server.exited).toBe(3);
  });

  it('the MongoDB stand-in exits when the process that started it is SIGKILLed', async (context) => {
    const installed = (await loadInstallState()).server('mongo-java-server');
    if (!installed.ok) return context.skip(`mongo-wire: none (${installed.reason})`);
    // A stand-in parent: starts the Java launcher with a stdin pipe, reports its pid, then waits.
    const javaArgs = ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', ...launcherArgs(installed), '0'];
    const parentScript = `
      const java = require('node:child_process').spawn('java', ${JSON.stringify(javaArgs)}, { stdio: ['pipe', 'pipe', 'inherit'] });
      java.stdout.on('data', (chunk) => { if (String(chunk).includes('ready')) console.log('java=' + java.pid); });
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'pipe'] });
    const javaPid = await new Promise<number>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`no ready stand-in in 60 s: ${output}`)), 60_000);
      const read = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /java=(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      parent.stdout.on('data', read);
      parent.stderr.on('data', read);
    });
    expect(alive(javaPid)).toBe(true);
    parent.kill('SIGKILL');
    const gone = await waitUntil(() => !alive(javaPid), 10_000);
    if (!gone) process.kill(javaPid, 'SIGKILL');
    expect(gone).toBe(true);
  }, 90_000);
});
