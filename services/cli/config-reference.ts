/**
 * The configuration reference, docs/configuration.md, generated from what the
 * code really uses: the zod schemas of the capture commands (keys, types,
 * units, defaults, and the `description` / `defaultMeans` metadata each key
 * carries), RUNTIME_ENV (the environment variables) and the commands' own
 * commander options mapped through CAPTURE_FLAG_KEYS (the flags). It refuses to
 * render what it cannot place: an environment variable or flag naming no key,
 * a capture flag with no key, a key without a description, a schema kind it
 * does not know. `npm run docs:config` writes the file; config-reference.test.ts
 * fails when the committed file differs.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { byteSize, durationMs } from '../../contracts/config.js';
import { RUNTIME_ENV, archiveRunConfigSchema, collectConfigSchema, upConfigSchema } from '../../contracts/runtime-config.js';
import { ARCHIVE_DIR_ENV } from './archive-dir-env.js';
import { registerArchiveCommand } from './commands/archive.js';
import { CAPTURE_FLAG_KEYS } from './commands/capture-flags.js';
import { registerCollectCommand } from './commands/collect.js';
import { registerUpCommand } from './commands/up.js';

export interface ReferenceCommand {
  name: string;
  schema: z.ZodObject;
  /** commander's options of the command: `flags` as written (`--archive <dir>`), `attribute` its value's name. */
  options: readonly { flags: string; attribute: string; repeatable: boolean }[];
}

export interface ReferenceInput {
  commands: readonly ReferenceCommand[];
  env: Readonly<Record<string, { path: readonly string[]; list?: boolean; number?: boolean; replacedBy?: string }>>;
  flagKeys: Readonly<Record<string, { path: readonly string[]; commaList?: boolean }>>;
}

/** Options that are not a configuration key. */
const NOT_A_KEY = new Set(['config', 'json']);

interface Leaf {
  key: string;
  section: string;
  schema: z.ZodType;
  commands: string[];
}

interface Section {
  name: string;
  description: string;
}

/** A key's metadata; `type` names the type in words where the schema's kind says nothing a reader can use (a transform into a map). */
function meta(schema: z.ZodType): { description?: string; defaultMeans?: string; type?: string } {
  const m = schema.meta() ?? {};
  return {
    ...(typeof m.description === 'string' ? { description: m.description } : {}),
    ...(typeof m.defaultMeans === 'string' ? { defaultMeans: m.defaultMeans } : {}),
    ...(typeof m.type === 'string' ? { type: m.type } : {}),
  };
}

/** The schema without its default, optional and nullable wrappers, and what they said. */
function unwrap(schema: z.ZodType): { base: z.ZodType; hasDefault: boolean; defaultValue: unknown; optional: boolean; nullable: boolean } {
  let s = schema;
  let hasDefault = false;
  let defaultValue: unknown;
  let optional = false;
  let nullable = false;
  for (;;) {
    if (s instanceof z.ZodDefault) {
      hasDefault = true;
      defaultValue = s.def.defaultValue;
      s = s.def.innerType as z.ZodType;
    } else if (s instanceof z.ZodOptional) {
      optional = true;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodNullable) {
      nullable = true;
      s = s.unwrap() as z.ZodType;
    } else {
      return { base: s, hasDefault, defaultValue, optional, nullable };
    }
  }
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${text}\``;

function regexOf(schema: z.ZodType): string | null {
  for (const check of schema.def.checks ?? []) {
    const def = check._zod.def as { format?: string; pattern?: RegExp };
    if (def.format === 'regex' && def.pattern) return def.pattern.source;
  }
  return null;
}

function typeOf(schema: z.ZodType, key: string): string {
  if (schema === durationMs) return 'duration (ms)';
  if (schema === byteSize) return 'size (bytes)';
  if (schema instanceof z.ZodString) {
    const re = regexOf(schema);
    return re ? `text matching ${code(re)}` : 'text';
  }
  if (schema instanceof z.ZodNumber) {
    const kind = schema.isInt ? 'integer' : 'number';
    const min = Number.isFinite(schema.minValue) ? schema.minValue : null;
    const max = Number.isFinite(schema.maxValue) && schema.maxValue !== Number.MAX_SAFE_INTEGER ? schema.maxValue : null;
    if (min !== null && max !== null) return `${kind}, ${min} to ${max}`;
    if (min !== null && min !== Number.MIN_SAFE_INTEGER) return `${kind} ≥ ${min}`;
    return kind;
  }
  if (schema instanceof z.ZodEnum) return `one of ${schema.options.map((o) => code(String(o))).join(', ')}`;
  if (schema instanceof z.ZodArray) return `list of ${typeOf(unwrap(schema.element as z.ZodType).base, key).replace(/^text/, 'texts')}`;
  throw new Error(`config reference: ${key} has a schema kind the reference does not know (${schema.def.type}); teach typeOf in services/cli/config-reference.ts`);
}

const DURATION_UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];
const SIZE_UNITS: readonly [string, number][] = [
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
  ['GB', 1e9],
  ['MB', 1e6],
  ['KB', 1e3],
];

/** `86400000` as `1d`: the largest unit that divides it, the way a person would write it. */
function inUnits(value: number, units: readonly [string, number][]): string | null {
  for (const [unit, size] of units) if (value !== 0 && value % size === 0) return `${value / size}${unit}`;
  return null;
}

function defaultOf(leaf: Leaf): string {
  const u = unwrap(leaf.schema);
  const { defaultMeans } = meta(leaf.schema);
  let text: string;
  if (u.hasDefault) {
    const v = u.defaultValue;
    const human = typeof v === 'number' ? inUnits(v, u.base === durationMs ? DURATION_UNITS : u.base === byteSize ? SIZE_UNITS : []) : null;
    text = `${code(JSON.stringify(v))}${human ? ` (${human})` : ''}`;
  } else if (u.optional) {
    text = 'not set';
  } else {
    text = '**required**';
  }
  return defaultMeans ? `${text}: ${defaultMeans}` : text;
}

/** Every key (leaf) of the commands' schemas, in the order they first appear, with the commands that read it. */
function leavesOf(commands: readonly ReferenceCommand[]): { leaves: Leaf[]; sections: Map<string, Section> } {
  const leaves = new Map<string, Leaf>();
  const sections = new Map<string, Section>([['', { name: 'General', description: 'Keys at the top level of the configuration.' }]]);
  const visit = (command: string, shape: Record<string, z.ZodType>, prefix: string) => {
    for (const [name, schema] of Object.entries(shape)) {
      const key = `${prefix}${name}`;
      const { base } = unwrap(schema);
      if (base instanceof z.ZodObject) {
        const description = meta(base).description ?? meta(schema).description;
        if (!description) throw new Error(`config reference: the section ${key} has no description (add .meta({ description }) to its schema)`);
        sections.set(key, { name: key, description });
        visit(command, base.shape, `${key}.`);
        continue;
      }
      if (!meta(schema).description) throw new Error(`config reference: ${key} has no description (add .meta({ description }) to it in contracts/)`);
      const seen = leaves.get(key);
      if (seen && seen.schema !== schema) throw new Error(`config reference: ${key} differs between ${seen.commands.join(', ')} and ${command}; one key, one schema`);
      if (seen) seen.commands.push(command);
      else leaves.set(key, { key, section: prefix.slice(0, -1), schema, commands: [command] });
    }
  };
  for (const c of commands) visit(c.name, c.schema.shape, '');
  return { leaves: [...leaves.values()], sections };
}

export function renderConfigReference(input: ReferenceInput = captureCommands()): string {
  const { leaves, sections } = leavesOf(input.commands);
  const byKey = new Map(leaves.map((l) => [l.key, l]));

  const envOf = new Map<string, string>();
  for (const [name, spec] of Object.entries(input.env)) {
    const key = spec.path.join('.');
    if (!byKey.has(key)) throw new Error(`config reference: ${name} sets ${key}, which no capture command's schema has`);
    const cell = `${code(name)}${spec.list ? ' (comma-separated)' : ''}${spec.replacedBy ? ' (deprecated)' : ''}`;
    const before = envOf.get(key);
    envOf.set(key, before === undefined ? cell : `${before} or ${cell}`);
  }

  const flagsOf = new Map<string, { flags: string; note: string; commands: string[] }[]>();
  for (const c of input.commands) {
    for (const option of c.options) {
      if (NOT_A_KEY.has(option.attribute)) continue;
      const spec = input.flagKeys[option.attribute];
      if (!spec) throw new Error(`config reference: rewind ${c.name} ${option.flags} sets no configuration key; map it in CAPTURE_FLAG_KEYS (services/cli/commands/capture-flags.ts)`);
      const key = spec.path.join('.');
      const leaf = byKey.get(key);
      if (!leaf?.commands.includes(c.name)) throw new Error(`config reference: rewind ${c.name} ${option.flags} maps to ${key}, which that command's schema has not`);
      const list = flagsOf.get(key) ?? [];
      const same = list.find((f) => f.flags === option.flags);
      if (same) same.commands.push(c.name);
      else list.push({ flags: option.flags, note: spec.commaList ? ' (comma-separated)' : option.repeatable ? ' (repeatable)' : '', commands: [c.name] });
      flagsOf.set(key, list);
    }
  }
  const flagCell = (leaf: Leaf) =>
    (flagsOf.get(leaf.key) ?? [])
      .map((f) => `${code(f.flags)}${f.note}${f.commands.length === leaf.commands.length ? '' : ` (${f.commands.join(', ')})`}`)
      .join(', ') || '-';

  const lines: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` (services/cli/config-reference.ts) from the zod schemas in',
    '     contracts/config.ts and contracts/runtime-config.ts, RUNTIME_ENV and the capture commands\' flags.',
    '     Do not edit: services/cli/config-reference.test.ts fails when this file differs from what they generate. -->',
    '',
    `The capture commands, ${input.commands.map((c) => code(`rewind ${c.name}`)).join(', ')}, read one configuration from three`,
    'sources, each overriding the one before: a JSON file (`--config <file>`, keys nested as below, e.g.',
    '`{"archive": {"dir": "/var/rewind"}, "retention": {"windowMs": "30d"}}`), the `REWIND_*` environment',
    'variables, then the flags. It is validated once at start: an unknown key is refused, a bad value stops the',
    'command naming its key (exit code 2), and nothing is written before that.',
    '',
    '- A **duration** is a number of milliseconds, or text with a unit: `500ms`, `30s`, `5m`, `2h`, `7d`.',
    '- A **size** is a number of bytes, or text with a unit: `64MiB`, `1GB` (`B`, `KB`, `MB`, `GB`, `KiB`, `MiB`, `GiB`).',
    '- The environment and the flags give text, so a duration or size there needs its unit (`60s`, not `60000`);',
    '  lists are comma-separated. `null` can only be given in the file.',
    `- The commands that read an archive (\`status\`, \`catalog\`, \`verify\`, \`history\`, \`restore\`, \`diff\`) take no`,
    `  configuration file; they take the archive folder from \`--archive\` or \`${ARCHIVE_DIR_ENV}\`, the variable`,
    '  that sets `archive.dir` here. Their other flags: `rewind <command> --help`.',
    '',
    '## What the defaults do',
    '',
    'With nothing set:',
    '',
  ];
  for (const leaf of leaves) {
    const { defaultMeans } = meta(leaf.schema);
    if (!defaultMeans) continue;
    const u = unwrap(leaf.schema);
    const setBy = [envOf.get(leaf.key), ...(flagsOf.get(leaf.key) ?? []).map((f) => code(f.flags.split(' ')[0] ?? f.flags))].filter(Boolean);
    const value = u.hasDefault ? ` (${code(JSON.stringify(u.defaultValue))})` : '';
    lines.push(`- ${code(leaf.key)}${value}: ${defaultMeans}.${setBy.length ? ` Set with ${setBy.join(' or ')}.` : ' Set it in the file.'}`);
  }
  for (const [prefix, section] of sections) {
    const rows = leaves.filter((l) => l.section === prefix);
    if (rows.length === 0) continue;
    lines.push('', `## ${prefix ? code(section.name) : section.name}`, '', section.description, '');
    lines.push('| key | what it is | type (unit) | default | environment | flag | accepted by |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const leaf of rows) {
      const u = unwrap(leaf.schema);
      const type = `${meta(leaf.schema).type ?? typeOf(u.base, leaf.key)}${u.nullable ? ', or `null`' : ''}`;
      const cells = [code(leaf.key), meta(leaf.schema).description ?? '', type, defaultOf(leaf), envOf.get(leaf.key) ?? '-', flagCell(leaf), leaf.commands.join(', ')];
      lines.push(`| ${cells.map(escapeCell).join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The reference's input as the program has it: up, collect and archive with their schemas and registered options. */
export function captureCommands(): ReferenceInput {
  const io = { stdout: () => undefined, stderr: () => undefined };
  const program = new Command('rewind');
  const registered = [
    { name: 'up', schema: upConfigSchema, command: registerUpCommand(program, io) },
    { name: 'collect', schema: collectConfigSchema, command: registerCollectCommand(program, io) },
    { name: 'archive', schema: archiveRunConfigSchema, command: registerArchiveCommand(program, io) },
  ];
  return {
    commands: registered.map(({ name, schema, command }) => ({
      name,
      schema,
      // A repeatable flag collects into the array it starts with (collectOption).
      // Hidden options are the old spellings (flag-vocabulary.ts): the reference shows the current ones.
      options: command.options.filter((o) => !o.hidden).map((o) => ({ flags: o.flags, attribute: o.attributeName(), repeatable: Array.isArray(o.defaultValue) })),
    })),
    env: RUNTIME_ENV,
    flagKeys: CAPTURE_FLAG_KEYS,
  };
}
