import { assignExperiment } from '../inference/index.js';
import type { ExperimentAssigner, RequestLifecycle } from '../inference/index.js';
import { applyPrompt, readPromptRequest } from '../services/index.js';
import type { PromptRegistry, WireFormat } from '../services/index.js';

/** The label a request means when it names neither label nor version. */
const DEFAULT_LABEL = 'production';

/**
 * A chat body that names a registry prompt (`prompt_id`… or `x-sluice-prompt`) becomes the body
 * with the prompt applied, before it is validated; the lifecycle learns which version served it.
 * Any other body is returned as it is, untouched.
 *
 * An experiment running on the prompt applies to requests that ask for its default (no label, or
 * `production`): the variant's prompt version replaces the label's, and its model and parameters
 * are applied on the chat request later (the lifecycle carries the assignment). A request that
 * names a version or another label chose its prompt itself and is left out of the experiment.
 */
export async function applyRegistryPrompt(
  registry: PromptRegistry, lifecycle: RequestLifecycle, body: unknown, header: string | null, format: WireFormat,
  experiments?: ExperimentAssigner | undefined,
): Promise<unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const request = readPromptRequest(Object.fromEntries(Object.entries(body)), header);
  if (request === null) return body;
  const followsDefault = request.version === undefined && (request.label === undefined || request.label === DEFAULT_LABEL);
  const applied = followsDefault ? assignExperiment(experiments, lifecycle, 'prompt', request.name) : null;
  const variantVersion = applied?.variant.promptVersion;
  const resolved = await registry.resolve(variantVersion === undefined
    ? { name: request.name, label: request.label, version: request.version, tenantId: lifecycle.principal?.tenantId ?? null }
    : { name: request.name, version: variantVersion, tenantId: lifecycle.principal?.tenantId ?? null });
  lifecycle.prompt = { name: resolved.name, version: resolved.version.version, label: resolved.label };
  return applyPrompt(request.body, resolved, request.variables, format);
}
