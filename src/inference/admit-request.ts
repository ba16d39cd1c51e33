import { GatewayError } from '../core/index.js';
import type { Admission, AdmissionRequest, PolicyGate } from '../policies/index.js';
import type { RequestContext } from './request-context.js';

/** Refuses models outside the caller's allow-list, then takes the request's limits and reservations. */
export async function admitRequest(
  policies: PolicyGate,
  context: RequestContext,
  model: string,
  measureInput: () => { tokens: number; characters: number },
  maxOutputTokens: number | null,
): Promise<Admission> {
  const allowed = context.principal.allowedModels;
  if (allowed !== null && !allowed.includes(model)) {
    throw new GatewayError('model_not_allowed', `This key may not use the model \`${model}\`.`, { param: 'model' });
  }
  // Measured only if some limit needs it: an unlimited caller pays nothing.
  let input: { tokens: number; characters: number } | null = null;
  const measured = () => (input ??= measureInput());
  const request: AdmissionRequest = {
    requestId: context.requestId,
    principal: context.principal,
    endUser: context.endUser,
    model,
    get inputTokens() {
      return measured().tokens;
    },
    get inputCharacters() {
      return measured().characters;
    },
    maxOutputTokens,
  };
  return policies.admit(request);
}
