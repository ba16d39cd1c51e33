import { GatewayError } from '../../core/index.js';
import type { ExperimentRecord, ExperimentVariant } from '../../storage/index.js';
// Types only: the registries are services of this folder, handed in by main.
import type { PromptRegistry, ServiceCatalog, ServiceDefinition } from '../index.js';
import { variantParamsSchema } from './experiment-definition.js';

/** The label a prompt's callers follow by default: the one a promotion moves. */
const PRODUCTION = 'production';

/** What a promotion changed, for the experiment's audit trail. */
export type PromotionDetails = Record<string, unknown>;

/**
 * Makes a winning variant's settings the target's default. Split in two so that every check
 * (the variant fits the target, the target can be changed) runs before the experiment stops, and
 * the change itself after.
 */
export interface WinnerPromoter {
  /** Throws when the winner cannot be promoted; returns the change to apply. */
  plan(experiment: ExperimentRecord, winner: ExperimentVariant, actor: string): Promise<() => Promise<PromotionDetails>>;
}

/**
 * Promotion on the registries the gateway has:
 * - a prompt target: `production` moves to the winner's prompt version (the registry's label
 *   history records the move). A winner that also sets a model or parameters gets a new version
 *   with them in its model config, and `production` moves to that one;
 * - a service target (an admin-defined one; file services are read-only): the service's
 *   definition takes the winner's model, prompt version, temperature and max_tokens.
 * A model target has nothing to promote into: its targets live in the config file.
 */
export function createWinnerPromoter(registries: { prompts?: PromptRegistry | undefined; services?: ServiceCatalog | undefined }): WinnerPromoter {
  return {
    async plan(experiment, winner, actor) {
      const reason = `experiment ${experiment.name} promoted variant ${winner.name}`;
      if (experiment.targetKind === 'prompt') return planPrompt(registries.prompts, experiment.targetName, winner, actor, reason);
      if (experiment.targetKind === 'service') return planService(registries.services, experiment.targetName, winner);
      throw new GatewayError('invalid_request',
        'Promotion moves a prompt label or changes a service; a model experiment cannot promote. Stop it with a winner and change the model config.',
        { param: 'promote' });
    },
  };
}

async function planPrompt(
  registry: PromptRegistry | undefined, name: string, winner: ExperimentVariant, actor: string, reason: string,
): Promise<() => Promise<PromotionDetails>> {
  if (registry === undefined) throw new GatewayError('service_unavailable', 'This gateway has no prompt registry to promote into.');
  const current = await registry.get(null, name, winner.promptVersion === undefined ? {} : { version: winner.promptVersion });
  const base = current.version;
  const modelConfig = { ...base.modelConfig, ...(winner.model === undefined ? {} : { model: winner.model }), ...(winner.params ?? {}) };
  const changesConfig = winner.model !== undefined || winner.params !== undefined;
  if (!changesConfig) {
    return async () => {
      const move = await registry.moveLabel(actor, null, name, PRODUCTION, base.version, reason);
      return { prompt: name, label: PRODUCTION, from_version: move?.fromVersion ?? base.version, to_version: base.version };
    };
  }
  return async () => {
    const added = await registry.addVersion(actor, null, name, {
      template: base.template, model_config: modelConfig, variables: base.variables, output_schema: base.outputSchema,
      commit_message: reason, labels: [PRODUCTION],
    }, { ifChanged: true });
    const move = added.moves.find((candidate) => candidate.label === PRODUCTION);
    return {
      prompt: name, label: PRODUCTION, from_version: move?.fromVersion ?? null, to_version: added.version.version,
      created_version: added.created, based_on_version: base.version,
    };
  };
}

/** The parameters a service definition has a field for; the others cannot become its default. */
const SERVICE_PARAMS = new Set(['temperature', 'max_tokens', 'max_completion_tokens']);

async function planService(catalog: ServiceCatalog | undefined, name: string, winner: ExperimentVariant): Promise<() => Promise<PromotionDetails>> {
  if (catalog === undefined) throw new GatewayError('service_unavailable', 'This gateway has no services to promote into.');
  const actor = { role: 'admin' as const, tenantId: null };
  const service = await catalog.get(actor, name, null);
  if (service.source !== 'admin') {
    throw new GatewayError('invalid_request', `The service ${name} is defined in the ${service.source === 'file' ? 'config file' : 'gateway'}; change it there.`,
      { status: 409, param: 'promote' });
  }
  const unsupported = Object.keys(winner.params ?? {}).filter((param) => !SERVICE_PARAMS.has(param));
  if (unsupported.length > 0) {
    throw new GatewayError('invalid_request', `A service definition has no field for ${unsupported.join(', ')}: variant ${winner.name} cannot become its default.`,
      { param: 'promote' });
  }
  const current = service.definition;
  if (winner.promptVersion !== undefined && current.prompt === undefined) {
    throw new GatewayError('invalid_request', `The service ${name} uses no registry prompt: variant ${winner.name}'s prompt version cannot become its default.`,
      { param: 'promote' });
  }
  const next: ServiceDefinition = { ...current };
  if (winner.model !== undefined) next.model = winner.model;
  if (winner.promptVersion !== undefined && current.prompt !== undefined) next.prompt = { name: current.prompt.name, version: winner.promptVersion };
  const params = variantParamsSchema.parse(winner.params ?? {});
  const maxTokens = params.max_tokens ?? params.max_completion_tokens;
  if (maxTokens !== undefined) next.max_tokens = maxTokens;
  if (params.temperature !== undefined) next.temperature = params.temperature;
  return async () => {
    await catalog.update(actor, name, next, null);
    return {
      service: name,
      from: { model: current.model ?? null, prompt: current.prompt ?? null, temperature: current.temperature ?? null, max_tokens: current.max_tokens ?? null },
      to: { model: next.model ?? null, prompt: next.prompt ?? null, temperature: next.temperature ?? null, max_tokens: next.max_tokens ?? null },
    };
  };
}
