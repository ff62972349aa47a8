/**
 * One vocabulary across commands (README "Command line"): `--source-uri` for
 * the captured deployment, `--target-uri` for where a restore writes (and
 * the live side of a diff), `--at` / `--at-position` / `--before-event` for a
 * point in time, `--kafka-brokers` / `--kafka-topic` / `--kafka-group`. The
 * old spellings are hidden options that still work: each use prints one
 * deprecation line on stderr and gives its value to the new flag (which wins
 * when both are given).
 */
import { Option } from 'commander';
import type { Command } from 'commander';

export interface OldSpelling {
  /** As the old option was declared, e.g. `--mongo <uri>`. */
  old: string;
  /** The flag that replaces it, e.g. `--source-uri <uri>`. */
  now: string;
}

const longName = (flags: string) => flags.split(/[ ,]/).find((f) => f.startsWith('--')) ?? flags;

/** Registers the old spellings as hidden options of `command`. */
export function addOldSpellings(command: Command, spellings: readonly OldSpelling[]): Command {
  for (const s of spellings) command.addOption(new Option(s.old, `deprecated: use ${longName(s.now)}`).hideHelp());
  return command;
}

/** Moves each old spelling's value to its new flag, with one deprecation line on stderr per old flag used. */
export function takeOldSpellings(command: string, io: { stderr: (text: string) => void }, given: object, spellings: readonly OldSpelling[]): void {
  const flags = given as Record<string, unknown>;
  for (const s of spellings) {
    const oldAttr = new Option(s.old).attributeName();
    const nowAttr = new Option(s.now).attributeName();
    const value = flags[oldAttr];
    if (value === undefined) continue;
    io.stderr(`rewind ${command}: ${longName(s.old)} is deprecated, use ${longName(s.now)} (the old spelling will be removed)\n`);
    if (flags[nowAttr] === undefined) flags[nowAttr] = value;
    delete flags[oldAttr];
  }
}

/** A repeatable option: its values collect into an array; help shows `defaultText` once, never `(default: [])`. */
export function repeatable(flags: string, description: string, defaultText: string): Option {
  return new Option(flags, description).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]).default([], defaultText);
}
