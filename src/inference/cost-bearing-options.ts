import { GatewayError } from '../core/index.js';
import type { ChatRequest, CostBearingOption, IngressRequest } from '../core/index.js';
import type { Principal } from '../policies/index.js';

/** Which options each public model and each tier allows (`allowed_options` in the config). */
export interface CostOptionPolicy {
  models: ReadonlyMap<string, ReadonlySet<string>>;
  tiers: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Anthropic tools that run on Anthropic's side and are billed per use. */
const SERVER_TOOL = /^(?:web_search|web_fetch|code_execution)_/;
/** Service tiers that ask for nothing beyond the standard price. */
const STANDARD_TIERS: ReadonlySet<unknown> = new Set([null, undefined, 'default', 'standard_only']);

/** The cost-bearing options a request uses, each with the parameter that carries it. */
export function costBearingOptionsOf(request: ChatRequest, ingress?: IngressRequest): Array<{ option: CostBearingOption; param: string }> {
  const found: Array<{ option: CostBearingOption; param: string }> = [];
  const bodies: Array<Readonly<Record<string, unknown>>> = [{ ...request }];
  if (ingress !== undefined) bodies.push(ingress.body);
  for (const body of bodies) {
    if (!STANDARD_TIERS.has(body.service_tier)) found.push({ option: 'service_tier', param: 'service_tier' });
    if (body.store === true) found.push({ option: 'store', param: 'store' });
    if (present(body.web_search_options)) found.push({ option: 'web_search_options', param: 'web_search_options' });
    if (present(body.audio)) found.push({ option: 'audio', param: 'audio' });
    if (Array.isArray(body.modalities) && body.modalities.includes('audio')) found.push({ option: 'audio', param: 'modalities' });
    if (present(body.mcp_servers)) found.push({ option: 'mcp_servers', param: 'mcp_servers' });
    if (present(body.container)) found.push({ option: 'container', param: 'container' });
  }
  const tools = ingress?.body.tools;
  if (Array.isArray(tools)) {
    tools.forEach((tool: unknown, index) => {
      const type: unknown = tool !== null && typeof tool === 'object' && 'type' in tool ? tool.type : undefined;
      if (typeof type === 'string' && SERVER_TOOL.test(type)) found.push({ option: 'server_tools', param: `tools[${index}]` });
    });
  }
  if (ingress?.headers?.['anthropic-beta'] !== undefined) found.push({ option: 'anthropic-beta', param: 'anthropic-beta' });
  return found;
}

/** Throws `option_not_allowed` naming the first option that neither the model nor the caller's tier allows. */
export function checkCostBearingOptions(
  policy: CostOptionPolicy | undefined,
  principal: Principal,
  request: ChatRequest,
  ingress?: IngressRequest,
): void {
  // The master key is the operator, who pays the bill and writes the config.
  if (principal.role === 'admin') return;
  const used = costBearingOptionsOf(request, ingress);
  if (used.length === 0) return;
  const byModel = policy?.models.get(request.model);
  const byTier = principal.tier === null ? undefined : policy?.tiers.get(principal.tier);
  for (const { option, param } of used) {
    if (byModel?.has(option) === true || byTier?.has(option) === true) continue;
    throw new GatewayError('option_not_allowed',
      `${param} (${option}) may cost more than the tokens a budget reserves; the operator allows it per model or tier with allowed_options.`,
      { param });
  }
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false;
}
