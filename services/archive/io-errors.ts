// The errno rules live in contracts/ (the replay engine's run files and restore's local files use them too).
export { errnoOf, isRetryableIo } from '../../contracts/io-errors.js';
