import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RUNTIME_ENV, archiveRunConfigSchema, collectConfigSchema, upConfigSchema } from '../../contracts/runtime-config.js';
import { captureCommands, renderConfigReference } from './config-reference.js';
import type { ReferenceInput } from './config-reference.js';

const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

/** The reference's table row of a key. */
function row(doc: string, key: string): string {
  const line = doc.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
  if (!line) throw new Error(`no row for ${key}`);
  return line;
}

/** Leaf keys and their defaults, read through zod's JSON Schema export: a walk independent of the generator's. */
function leaves(schema: z.ZodType): Map<string, { default?: unknown }> {
  const out = new Map<string, { default?: unknown }>();
  const visit = (node: Record<string, unknown>, prefix: string) => {
    const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [name, child] of Object.entries(properties ?? {})) {
      if (child.properties) visit(child, `${prefix}${name}.`);
      else out.set(`${prefix}${name}`, 'default' in child ? { default: child.default } : {});
    }
  };
  visit(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), '');
  return out;
}

describe('the configuration reference (docs/configuration.md)', () => {
  it('is what the schemas generate (run `npm run docs:config` after changing a schema, env variable or capture flag)', () => {
    expect(committed).toBe(renderConfigReference());
  });

  it('has a row for every key of up, collect and archive, with its default, and no other row', () => {
    const keys = new Set<string>();
    for (const schema of [upConfigSchema, collectConfigSchema, archiveRunConfigSchema]) {
      for (const [key, { default: value }] of leaves(schema)) {
        keys.add(key);
        const cells = row(committed, key).split(' | ');
        if (value !== undefined) expect(cells[3], key).toContain(`\`${JSON.stringify(value)}\``);
      }
    }
    const rows = committed.split('\n').filter((l) => /^\| `[^`]+` \|/.test(l));
    expect(rows).toHaveLength(keys.size);
    expect(keys.size).toBeGreaterThan(25);
    expect(row(committed, 'mongo.uri')).toContain('**required**');
    expect(row(committed, 'archive.segmentMaxAgeMs')).toContain('`60000` (1m)');
    expect(row(committed, 'compactionMemoryBytes')).toContain('`268435456` (256MiB)');
  });

  it('names every environment variable and capture flag at its key', () => {
    for (const [name, spec] of Object.entries(RUNTIME_ENV)) expect(row(committed, spec.path.join('.'))).toContain(`\`${name}\``);
    expect(row(committed, 'archive.dir')).toContain('`--archive <dir>`');
    expect(row(committed, 'kafka.groupId')).toContain('`--kafka-group <id>` (archive)');
    expect(row(committed, 'mongo.include')).toContain('`--include <pattern>` (repeatable)');
  });

  it('says plainly that retention keeps everything forever unless set', () => {
    expect(row(committed, 'retention.windowMs')).toMatch(/`null`: nothing is ever deleted: the archive keeps everything forever/);
    expect(committed).toMatch(/^- `retention\.windowMs` \(`null`\): nothing is ever deleted: the archive keeps everything forever.*Set with `REWIND_RETENTION_WINDOW`\.$/m);
  });

  it('refuses a flag, an environment variable or a key it cannot place', () => {
    const input = captureCommands();
    const withOption = (attribute: string): ReferenceInput => ({
      ...input,
      commands: input.commands.map((c) => (c.name === 'up' ? { ...c, options: [...c.options, { flags: '--frob <x>', attribute, repeatable: false }] } : c)),
    });
    expect(() => renderConfigReference(withOption('frob'))).toThrow(/rewind up --frob <x> sets no configuration key/);
    expect(() => renderConfigReference({ ...withOption('kafkaGroup') })).toThrow(/rewind up --frob <x> maps to kafka.groupId, which that command's schema has not/);
    expect(() => renderConfigReference({ ...input, env: { ...input.env, REWIND_FROB: { path: ['archive', 'frob'] } } })).toThrow(/REWIND_FROB sets archive.frob/);
    const undocumented = z.strictObject({ sourceId: z.string().default('x') });
    expect(() => renderConfigReference({ commands: [{ name: 'up', schema: undocumented, options: [] }], env: {}, flagKeys: {} })).toThrow(/sourceId has no description/);
  });
});
