// Entry of the Kafka producer's worker thread when rewind runs from its TypeScript
// sources (vitest, tsx): a worker does not inherit the main thread's tsx
// loader, so it registers its own. The compiled build starts
// kafka-producer-thread.js directly (see threadEntry in kafka-log.ts).
import { register } from 'tsx/esm/api';

register();
await import('./kafka-producer-thread.ts');
