// Entry of the Kafka producer's worker thread: sources are TypeScript, and a
// worker does not inherit the main thread's tsx loader, so it registers its own.
import { register } from 'tsx/esm/api';

register();
await import('./kafka-producer-thread.ts');
