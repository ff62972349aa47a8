import { describe, expect, it } from 'vitest';
import { alternatingRounds, best, roundOrder } from './alternating-rounds.js';

describe('alternatingRounds', () => {
  it('reverses the order every other round and keeps every round of each side', async () => {
    const calls: string[] = [];
    let n = 0;
    const side = (name: 'a' | 'b' | 'c') => ({
      name,
      run: () => {
        calls.push(name);
        n += 1;
        return Promise.resolve(n);
      },
    });
    const logged: string[] = [];
    const rates = await alternatingRounds([side('a'), side('b'), side('c')], 3, (l) => logged.push(l));
    expect(calls).toEqual(['a', 'b', 'c', 'c', 'b', 'a', 'a', 'b', 'c']);
    expect(rates).toEqual({ a: [1, 6, 7], b: [2, 5, 8], c: [3, 4, 9] });
    expect(logged).toHaveLength(3);
    expect(logged[1]).toBe('round 2/3: c 4/s, b 5/s, a 6/s');
    expect(best(rates.a)).toBe(7);
  });

  it('gives every side the same mean position over an even number of rounds', () => {
    const sides = ['bare', 'pipeline', 'apart', 'producerPerformance'];
    const positions = new Map(sides.map((s) => [s, 0]));
    for (let round = 0; round < 2; round++) roundOrder(sides, round).forEach((s, i) => positions.set(s, (positions.get(s) ?? 0) + i));
    expect(new Set(positions.values())).toEqual(new Set([3]));
  });
});
