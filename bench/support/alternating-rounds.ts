/**
 * Rounds of several measured sides on one shared resource (a broker), the
 * order reversed every other round: A B C, C B A, A B C … So no side always
 * runs first (on the coldest broker) or last (on the warmest, fullest one),
 * and load that drifts over the run hits every side alike. Each side's figure
 * is its best round, as in the other benchmarks.
 */

export interface Side<K extends string> {
  name: K;
  /** One measured run; returns its rate (higher is better). */
  run: () => Promise<number>;
}

/** The order of the sides in round `round` (0-based): as given in even rounds, reversed in odd ones. */
export function roundOrder<T>(sides: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...sides] : [...sides].reverse();
}

/** Every round's rate of every side, in round order. */
export async function alternatingRounds<K extends string>(
  sides: readonly Side<K>[],
  rounds: number,
  log: (line: string) => void,
): Promise<Record<K, number[]>> {
  const rates = Object.fromEntries(sides.map((s) => [s.name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    const order = roundOrder(sides, round);
    const line: string[] = [];
    for (const side of order) {
      const rate = await side.run();
      rates[side.name].push(rate);
      line.push(`${side.name} ${rate.toFixed(0)}/s`);
    }
    log(`round ${round + 1}/${rounds}: ${line.join(', ')}`);
  }
  return rates;
}

export function best(rates: readonly number[]): number {
  return Math.max(...rates);
}
