// `npm run docs:config`: writes docs/configuration.md from the schemas (see ../config-reference.ts).
import { writeFileSync } from 'node:fs';
import { renderConfigReference } from '../config-reference.js';

const file = new URL('../../../docs/configuration.md', import.meta.url);
writeFileSync(file, renderConfigReference());
console.log(`wrote ${file.pathname}`);
