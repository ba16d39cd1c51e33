/**
 * True when OpenAI's `strict: true` structured output accepts the schema: every object lists all
 * of its properties as required and sets `additionalProperties: false`, and no keyword outside
 * strict mode's subset appears. A schema that does not fit is sent with `strict: false` (the
 * model is still guided by it; Sluice validates the answer either way).
 */
export function fitsStrictMode(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(fitsStrictMode);
  if (schema === null || typeof schema !== 'object') return true;
  const node = schema as Record<string, unknown>;
  for (const keyword of UNSUPPORTED) if (keyword in node) return false;
  const isObject = node['type'] === 'object' || (Array.isArray(node['type']) && node['type'].includes('object')) || 'properties' in node;
  if (isObject) {
    if (node['additionalProperties'] !== false) return false;
    const properties = node['properties'];
    const keys = properties !== null && typeof properties === 'object' ? Object.keys(properties) : [];
    const required = Array.isArray(node['required']) ? node['required'] : [];
    if (!keys.every((key) => required.includes(key))) return false;
  }
  for (const [keyword, value] of Object.entries(node)) {
    if (keyword === 'enum' || keyword === 'const' || keyword === 'default' || keyword === 'examples') continue;
    if (keyword === 'properties' || keyword === '$defs' || keyword === 'definitions') {
      if (value !== null && typeof value === 'object' && !Object.values(value).every(fitsStrictMode)) return false;
    } else if (value !== null && typeof value === 'object' && !fitsStrictMode(value)) return false;
  }
  return true;
}

/** Keywords strict mode rejects (OpenAI's structured-output guide, "Supported schemas"). */
const UNSUPPORTED = ['allOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties', 'unevaluatedProperties', 'contains'];
