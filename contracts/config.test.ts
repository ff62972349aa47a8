import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, baseConfigSchema, byteSize, durationMs, parseConfig } from './index.js';

describe('durationMs', () => {
  it.each([
    [1500, 1500],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    [' 10 s ', 10_000],
  ])('%j → %d ms', (input, ms) => {
    expect(durationMs.parse(input)).toBe(ms);
  });

  it.each(['', '5', '5 weeks', '-1s', '1.5.2s', 'ms', '5S', '0ms', '0s', `${'9'.repeat(400)}d`])('refuses %j, quoting it', (input) => {
    const r = durationMs.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain(JSON.stringify(input));
  });

  it('refuses zero, negative and fractional numbers, and says a plain number needs a unit', () => {
    for (const n of [0, -1, 1.5, Number.POSITIVE_INFINITY]) expect(durationMs.safeParse(n).success, String(n)).toBe(false);
    expect(durationMs.safeParse('0ms').error?.issues[0]?.message).toMatch(/more than 0/);
    expect(durationMs.safeParse('60').error?.issues[0]?.message).toMatch(/give a unit: 60ms or 60s/);
  });
});

describe('byteSize', () => {
  it.each([
    [4096, 4096],
    ['1048576', 1_048_576],
    [' 12 ', 12],
    ['10b', 10],
    ['10kb', 10_000],
    ['64MiB', 64 * 1024 * 1024],
    ['1.5 MiB', 1.5 * 1024 * 1024],
    ['1GB', 1e9],
    ['2gib', 2 * 1024 ** 3],
  ])('%j → %d bytes', (input, bytes) => {
    expect(byteSize.parse(input)).toBe(bytes);
  });

  it.each(['', '12 parsecs', '-1MB', 'MB', '1TB', '1.5', '0', '0gib', `${'9'.repeat(400)}gib`, '9'.repeat(20)])('refuses %j, quoting it', (input) => {
    const r = byteSize.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain(JSON.stringify(input));
  });

  it('refuses zero, Infinity and sizes past what a double holds exactly', () => {
    for (const n of [0, -5, Number.POSITIVE_INFINITY, 2 ** 60]) expect(byteSize.safeParse(n).success, String(n)).toBe(false);
    expect(byteSize.safeParse(`${'9'.repeat(400)}gib`).error?.issues[0]?.message).toMatch(/too large/);
  });
});

describe('parseConfig', () => {
  it('applies defaults, normalizes durations and sizes, and freezes the result deeply', () => {
    const c = parseConfig(baseConfigSchema, { archive: { dir: '/var/rewind', segmentMaxBytes: '16MiB', segmentMaxAgeMs: '30s' } });
    expect(c).toEqual({
      sourceId: 'default',
      logLevel: 'info',
      archive: { dir: '/var/rewind', segmentMaxBytes: 16 * 1024 * 1024, segmentMaxAgeMs: 30_000, codec: 'deflate' },
      compactionMemoryBytes: 256 * 1024 * 1024,
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.archive)).toBe(true);
    expect(() => {
      (c.archive as { dir: string }).dir = 'elsewhere';
    }).toThrow(TypeError);
  });

  it('rejects unknown keys, naming each with its full path', () => {
    const err = (() => {
      try {
        parseConfig(baseConfigSchema, { archive: { dir: 'x', segmentMaxByte: 1 }, logLevell: 'debug' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'archive.segmentMaxByte', message: 'unknown key' },
        { path: 'logLevell', message: 'unknown key' },
      ]),
    );
    expect((err as Error).message).toContain('archive.segmentMaxByte');
    expect((err as Error).message).toContain('logLevell');
  });

  it('names every bad field in one error', () => {
    const err = (() => {
      try {
        parseConfig(baseConfigSchema, { logLevel: 'loud', archive: { dir: '', segmentMaxAgeMs: '5 weeks', codec: 'zip' } });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err.issues.map((i) => i.path).sort()).toEqual(['archive.codec', 'archive.dir', 'archive.segmentMaxAgeMs', 'logLevel']);
    expect(err.message).toContain('5 weeks');
  });

  it('a missing required section is named', () => {
    expect(() => parseConfig(baseConfigSchema, {})).toThrow(/archive:/);
  });

  it('works for any zod schema', () => {
    const schema = z.strictObject({ every: durationMs });
    expect(parseConfig(schema, { every: '2m' })).toEqual({ every: 120_000 });
  });
});
