// A test server running as a child process of the vitest main process.
//
// Three layers make sure none outlives the run:
// 1. stop() at the end of the run (global setup teardown): stdin closed, SIGTERM
//    to the process group, SIGKILL after a grace period.
// 2. If the run ends another way (SIGINT/SIGTERM/SIGHUP, an uncaught error,
//    process.exit), an 'exit'/signal handler SIGKILLs every live group
//    synchronously.
// 3. If vitest itself is SIGKILLed, the child's stdin pipe closes; both Java
//    launchers (MongoStandIn.java, ExitWithParent.java) exit when it does.
// Each child is its own process group leader (detached), so a kill reaches
// anything it started too.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { HarnessError } from './harness-error.js';

const OUTPUT_TAIL_CHARS = 8_000;
const live = new Set<ServerProcess>();
const scratchDirs = new Set<string>();
let handlersInstalled = false;

export interface ServerProcessOptions {
  /** Name used in messages, e.g. `kafka`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
}

export class ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** Settles with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private output = '';
  private hasExited = false;
  private readonly lineWaiters = new Set<() => void>();

  constructor(options: ServerProcessOptions) {
    installExitHandlers();
    this.name = options.name;
    this.child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) {
      throw new HarnessError('HARNESS_START_FAILED', `${options.name}: could not spawn ${options.command}`, {
        retryable: false,
      });
    }
    this.pid = this.child.pid;
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.hasExited = true;
        live.delete(this);
        this.notify();
        resolve(code);
      });
    });
    // Spawn errors (ENOENT) are reported through 'exit' as well; keep them from being unhandled.
    this.child.once('error', (error) => this.append(`spawn error: ${error.message}\n`));
    const collect = (chunk: Buffer): void => this.append(chunk.toString('utf8'));
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    // A write to a closed stdin must not crash the run.
    this.child.stdin?.on('error', () => undefined);
  }

  /** The last few thousand characters the process wrote, for error messages. */
  outputTail(): string {
    return this.output;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  /** Waits until the process prints a line matching `pattern`; rejects if it exits or the time runs out. */
  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (this.hasExited) throw this.startFailure(`exited before printing ${String(pattern)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw this.startFailure(`did not print ${String(pattern)} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.lineWaiters.add(done);
      });
    }
  }

  startFailure(what: string, cause?: unknown): HarnessError {
    return new HarnessError(
      'HARNESS_START_FAILED',
      `${this.name} (pid ${this.pid}) ${what}; its output ends with:\n${this.output || '(nothing)'}`,
      { cause, retryable: true },
    );
  }

  /** Closes stdin, sends SIGTERM to the group, and SIGKILLs it if it is still there after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.hasExited) return;
    this.child.stdin?.end();
    signalGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // The leader is gone; anything left in its group goes with it.
    signalGroup(this.pid, 'SIGKILL');
  }

  /** SIGKILLs the group at once (a crash, not a shutdown) and waits until the leader has exited. */
  async kill(): Promise<void> {
    if (this.hasExited) return;
    signalGroup(this.pid, 'SIGKILL');
    await this.exited;
  }

  private append(text: string): void {
    this.output = (this.output + text).slice(-OUTPUT_TAIL_CHARS);
    this.notify();
  }

  private notify(): void {
    for (const waiter of this.lineWaiters) waiter();
    this.lineWaiters.clear();
  }
}

/** Whether a process of this id exists (EPERM: it does, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Kills every live server process group at once; synchronous, so it works inside 'exit' handlers. */
export function killAllNow(): void {
  for (const server of live) signalGroup(server.pid, 'SIGKILL');
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  scratchDirs.clear();
}

/** Marks a server's temporary directory for removal if the run ends abruptly (signal, process.exit). */
export function removeOnExit(dir: string): () => void {
  installExitHandlers();
  scratchDirs.add(dir);
  return () => scratchDirs.delete(dir);
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllNow();
      // If nobody else (vitest) handles this signal, restore the default: die by it.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}
