/**
 * The collector's explicit lifecycle. Every transition is logged, so an
 * operator reading the log sees exactly where capture stands:
 *
 *   idle → starting → (copying ⇄ streaming) → draining → stopped
 *                ↘ reconnecting ↗ (source unreachable, with backoff)
 *   any → failed (a fault no retry can fix)
 */
import type { Logger } from 'pino';

export type CollectorState = 'idle' | 'starting' | 'copying' | 'streaming' | 'reconnecting' | 'draining' | 'stopped' | 'failed';

const ALLOWED: Record<CollectorState, readonly CollectorState[]> = {
  idle: ['starting', 'stopped', 'failed'],
  starting: ['copying', 'streaming', 'reconnecting', 'draining', 'failed'],
  copying: ['streaming', 'starting', 'reconnecting', 'draining', 'failed'],
  streaming: ['copying', 'starting', 'reconnecting', 'draining', 'failed'],
  reconnecting: ['starting', 'draining', 'failed'],
  draining: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

export class Lifecycle {
  private current: CollectorState = 'idle';
  private readonly listeners: ((s: CollectorState) => void)[] = [];

  constructor(private readonly log: Logger) {}

  get state(): CollectorState {
    return this.current;
  }

  onChange(listener: (s: CollectorState) => void): void {
    this.listeners.push(listener);
  }

  to(next: CollectorState, detail: Record<string, unknown> = {}): void {
    if (next === this.current) return;
    if (!ALLOWED[this.current].includes(next)) {
      throw new Error(`collector lifecycle: ${this.current} → ${next} is not a valid transition`);
    }
    const from = this.current;
    this.current = next;
    const level = next === 'failed' ? 'error' : next === 'reconnecting' ? 'warn' : 'info';
    this.log[level]({ from, to: next, ...detail }, `collector ${from} → ${next}`);
    for (const l of this.listeners) l(next);
  }
}
