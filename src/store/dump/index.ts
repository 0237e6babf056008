/** Heketi DB dump: export (export.ts), import (import.ts) and the format both use (schema.ts). */
export { exportDump } from './export.js';
export { DumpImportError, importDump, type ImportSummary } from './import.js';
export { OP_NUMBER_BY_TYPE, OP_TYPE_BY_NUMBER } from './schema.js';
export type * from './schema.js';
