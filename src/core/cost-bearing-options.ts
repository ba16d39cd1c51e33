/**
 * Request options that make an upstream bill more than tokens at list price (a priority tier,
 * hosted tools, stored completions, audio, beta features). A budget reserves tokens only, so these
 * pass through only where the operator allowed them (`allowed_options` on a model or a tier).
 */
export const COST_BEARING_OPTIONS = [
  'service_tier', 'store', 'web_search_options', 'audio', 'server_tools', 'mcp_servers', 'container', 'anthropic-beta',
] as const;
export type CostBearingOption = typeof COST_BEARING_OPTIONS[number];
