export * from './position.js';
export * from './document-key.js';
export * from './catalog.js';
export * from './config.js';
export * from './avro/index.js';
export * from './deployment-identity.js';
export * from './errors.js';
