export { extractJson } from './extract-json.js';
export type { ExtractOptions, ExtractResult, JsonFix } from './extract-json.js';
export { compileJsonSchema, formatIssues, schemaProblem } from './json-schema-validator.js';
export type { JsonSchemaValidator, SchemaCheck, SchemaIssue } from './json-schema-validator.js';
export { fitsStrictMode } from './fits-strict-mode.js';
