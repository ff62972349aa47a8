/**
 * A rewind process the fault suite kills and starts again, as a service
 * manager would: SIGKILL at a moment the suite picks, a new incarnation at
 * once; an exit the suite did not cause is recorded (with the end of the
 * process's stderr) and, while `restartOnExit` holds, followed by a new
 * incarnation a second later. Every live child is SIGKILLed if the test
 * process ends, so none outlives the run.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const TAIL_CHARS = 6_000;
const HISTORY_CHARS = 400_000;
const live = new Set<ChildProcess>();
let exitHandler = false;

export interface Exit {
  process: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  stderr: string;
}

export interface Spawnable {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export class SupervisedProcess {
  private child: ChildProcess | null = null;
  private planned = new WeakSet<ChildProcess>();
  private stderrText = '';
  private stderrAll = '';
  private exitedPromise: Promise<Exit> | null = null;
  /** Exits nobody asked for, oldest first. */
  readonly unplanned: Exit[] = [];
  restartOnExit = true;
  incarnations = 0;
  /** When the current incarnation was started (ms). */
  startedAt = 0;
  kills = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly spawnable: () => Spawnable,
  ) {
    if (!exitHandler) {
      exitHandler = true;
      process.on('exit', () => {
        for (const c of live) c.kill('SIGKILL');
      });
    }
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Output (stdout and stderr) of the current (or last) incarnation. */
  get stderr(): string {
    return this.stderrText;
  }

  /** Output of every incarnation so far (the last few hundred kilobytes). */
  get stderrHistory(): string {
    return this.stderrAll;
  }

  /** Settles when the current incarnation exits. */
  get exited(): Promise<Exit> {
    return this.exitedPromise ?? Promise.resolve({ process: this.name, code: null, signal: null, at: Date.now(), stderr: '' });
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.stopped = false;
    const { command, args, env } = this.spawnable();
    // Both streams are the process's log: `rewind archive` logs to stdout, the collect child to stderr.
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.child = child;
    this.startedAt = Date.now();
    this.incarnations += 1;
    this.stderrText = '';
    live.add(child);
    const logFile = process.env.REWIND_FAULT_LOG_DIR ? join(process.env.REWIND_FAULT_LOG_DIR, `${this.name}.log`) : null;
    if (logFile) appendFileSync(logFile, `--- ${new Date().toISOString()} incarnation ${this.incarnations} pid ${child.pid ?? '?'}\n`);
    const take = (b: Buffer) => {
      if (logFile) appendFileSync(logFile, b);
      this.stderrText = (this.stderrText + b.toString()).slice(-TAIL_CHARS);
      this.stderrAll = (this.stderrAll + b.toString()).slice(-HISTORY_CHARS);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exitedPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        const exit: Exit = { process: this.name, code, signal, at: Date.now(), stderr: this.stderrText };
        if (!this.planned.has(child)) {
          this.unplanned.push(exit);
          if (this.restartOnExit && !this.stopped) this.restartTimer = setTimeout(() => this.restartIfDown(), 1_000);
        }
        resolve(exit);
      });
    });
  }

  private restartIfDown(): void {
    this.restartTimer = null;
    if (!this.running && !this.stopped) this.start();
  }

  /** SIGKILL now; true when a live process was killed (not one that had already exited). */
  async kill(): Promise<boolean> {
    const child = this.child;
    if (!child || !this.running) return false;
    this.planned.add(child);
    const exited = this.exited;
    child.kill('SIGKILL');
    const exit = await exited;
    if (exit.signal !== 'SIGKILL') return false;
    this.kills += 1;
    return true;
  }

  /** SIGKILL and a new incarnation at once; true when a live process was killed. */
  async killAndRestart(): Promise<boolean> {
    const killed = await this.kill();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (!this.running) this.start();
    return killed;
  }

  /** SIGTERM (a graceful drain) and the exit; no restart afterwards. */
  async stop(timeoutMs = 60_000): Promise<Exit> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || !this.running) return this.exited;
    this.planned.add(child);
    const exited = this.exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  }

  /** Ends it whatever it is doing (cleanup). */
  async abandon(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || !this.running) return;
    this.planned.add(child);
    const exited = this.exited;
    child.kill('SIGKILL');
    await exited;
  }
}
