#!/usr/bin/env node
// The `rewind` command. Sources are TypeScript; tsx's loader runs them without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../services/cli/main.ts');
