// Entry of the Kafka consumer's worker thread: sources are TypeScript, and a
// worker does not inherit the main thread's tsx loader, so it registers its own.
import { register } from 'tsx/esm/api';

register();
await import('./kafka-consumer-thread.ts');
