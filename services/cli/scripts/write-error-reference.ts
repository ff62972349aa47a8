// `npm run docs:errors`: writes docs/errors.md from the error catalog (see ../error-reference.ts).
import { writeFileSync } from 'node:fs';
import { renderErrorReference } from '../error-reference.js';

const file = new URL('../../../docs/errors.md', import.meta.url);
writeFileSync(file, renderErrorReference());
console.log(`wrote ${file.pathname}`);
