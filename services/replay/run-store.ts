/**
 * Temporary sorted runs of compaction. The engine never opens files itself:
 * it writes and reads runs through this port. fs-run-store.ts keeps them in a
 * temporary folder; MemoryRunStore keeps them in memory (small data, tests).
 */
export interface RunStore {
  /** Writes one complete run (records already sorted) and returns its id. */
  write(records: readonly Buffer[]): Promise<string>;
  /** Reads a run back in the order written, in batches of records. */
  read(id: string): AsyncIterable<readonly Buffer[]>;
  remove(id: string): Promise<void>;
  /** Removes every run this store holds. */
  dispose(): Promise<void>;
}

export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, readonly Buffer[]>();
  private next = 0;

  write(records: readonly Buffer[]): Promise<string> {
    const id = `run-${this.next++}`;
    this.runs.set(id, [...records]);
    return Promise.resolve(id);
  }

  async *read(id: string): AsyncIterable<readonly Buffer[]> {
    const run = this.runs.get(id);
    if (run === undefined) throw new Error(`no run ${id}`);
    for (let i = 0; i < run.length; i += 1024) yield await Promise.resolve(run.slice(i, i + 1024));
  }

  remove(id: string): Promise<void> {
    this.runs.delete(id);
    return Promise.resolve();
  }

  dispose(): Promise<void> {
    this.runs.clear();
    return Promise.resolve();
  }

  get count(): number {
    return this.runs.size;
  }
}
