// Writes contracts/avro/*.avsc from the TypeScript schema constants (the source of truth).
import { writeFileSync } from 'node:fs';
import { AVRO_SCHEMAS } from '../avro/index.js';

for (const [file, schema] of Object.entries(AVRO_SCHEMAS)) {
  const path = new URL(`../avro/${file}`, import.meta.url);
  writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote contracts/avro/${file}`);
}
