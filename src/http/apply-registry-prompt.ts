import type { RequestLifecycle } from '../inference/index.js';
import { applyPrompt, readPromptRequest } from '../services/index.js';
import type { PromptRegistry, WireFormat } from '../services/index.js';

/**
 * A chat body that names a registry prompt (`prompt_id`… or `x-sluice-prompt`) becomes the body
 * with the prompt applied, before it is validated; the lifecycle learns which version served it.
 * Any other body is returned as it is, untouched.
 */
export async function applyRegistryPrompt(
  registry: PromptRegistry, lifecycle: RequestLifecycle, body: unknown, header: string | null, format: WireFormat,
): Promise<unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const request = readPromptRequest(Object.fromEntries(Object.entries(body)), header);
  if (request === null) return body;
  const resolved = await registry.resolve({
    name: request.name, label: request.label, version: request.version, tenantId: lifecycle.principal?.tenantId ?? null,
  });
  lifecycle.prompt = { name: resolved.name, version: resolved.version.version, label: resolved.label };
  return applyPrompt(request.body, resolved, request.variables, format);
}
