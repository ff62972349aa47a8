// `node --import ./record-loads.mjs …`: appends the URL of every module the ESM
// loader loads (in the main thread and in worker threads, which run --import
// again) to the file named by REWIND_RECORD_LOADS, one per line. The shipped-
// build test reads it to see what a command really loaded.
import { register } from 'node:module';

register(new URL('./record-loads-hooks.mjs', import.meta.url), { data: { file: process.env.REWIND_RECORD_LOADS } });
