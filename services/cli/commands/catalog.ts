/**
 * `rewind catalog`: what the archive holds and what it can restore: the
 * restorable window, snapshots, segments and gaps. Formatting only; the job
 * is services/app/catalog.ts.
 */
import type { Command } from 'commander';
import { readCatalog } from '../../app/index.js';
import type { CatalogSummary } from '../../archive/index.js';
import { archiveRefFrom } from '../archive-ref.js';
import { archiveDir, fail, formatBytes, printJson } from './archive-output.js';
import type { CommandIo } from './archive-output.js';

interface CatalogFlags {
  archive?: string;
  json?: boolean;
}

function human(root: string, s: CatalogSummary): string {
  const lines = [`archive ${root}: source ${s.sourceId}, catalog generation ${s.generation}, updated ${s.updatedAt}`];
  lines.push(
    s.window
      ? `restorable window: ${s.window.earliest.text} → ${s.window.latest.text}`
      : 'restorable window: none yet (no base snapshot)',
  );
  lines.push(`durable up to: ${s.durable ? s.durable.text : 'nothing yet'}`);
  lines.push(`snapshots: ${s.snapshots.length}`);
  for (const snap of s.snapshots) {
    lines.push(
      `  ${snap.id}${snap.name === undefined ? '' : `  "${snap.name}"`}  ${snap.kind}  at ${snap.position.text}  ${snap.namespaces} namespace(s), ` +
        `${snap.documents.toLocaleString('en-US')} document(s), ${formatBytes(snap.bytes)}`,
    );
  }
  const seg = s.segments;
  lines.push(
    `segments: ${seg.count} file(s), ${seg.events.toLocaleString('en-US')} event(s), ${formatBytes(seg.bytes)}` +
      (seg.first && seg.last ? `, ${seg.first.text} → ${seg.last.text}` : ''),
  );
  lines.push(`gaps: ${s.gaps.length === 0 ? 'none' : s.gaps.length}`);
  for (const g of s.gaps) lines.push(`  after ${g.from} until ${g.to ?? '(still open)'}: ${g.reason} (recorded ${g.recordedAt})`);
  return `${lines.join('\n')}\n`;
}

export function registerCatalogCommand(program: Command, io: CommandIo): Command {
  return program
    .command('catalog')
    .description('show the archive catalog: restorable window, snapshots, segments, gaps')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--json', 'print JSON')
    .action(async (flags: CatalogFlags) => {
      const json = flags.json === true;
      try {
        const env = io.env ?? process.env;
        const { archive, ...summary } = await readCatalog({ archive: archiveRefFrom(archiveDir(io, 'catalog', json, flags.archive), env) });
        if (json) printJson(io, { archive, ...summary });
        else io.stdout(human(archive, summary));
      } catch (err) {
        fail(io, 'catalog', json, err);
      }
    });
}
