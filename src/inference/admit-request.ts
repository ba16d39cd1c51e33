import { GatewayError } from '../core/index.js';
import type { Admission, AdmissionRequest, PolicyGate } from '../policies/index.js';
import type { RequestLifecycle } from './request-lifecycle.js';

/** Refuses models outside the caller's allow-list, then takes the request's limits and reservations. */
export async function admitRequest(
  policies: PolicyGate,
  lifecycle: RequestLifecycle,
  model: string,
  measureInput: () => { tokens: number; characters: number },
  maxOutputTokens: number | null,
  choices = 1,
): Promise<Admission> {
  const principal = lifecycle.principal;
  // The HTTP shell authenticates before any use case runs.
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  const allowed = principal.allowedModels;
  if (allowed !== null && !allowed.includes(model)) {
    throw new GatewayError('model_not_allowed', `This key may not use the model \`${model}\`.`, { param: 'model' });
  }
  // Measured only if some limit needs it: an unlimited caller pays nothing.
  let input: { tokens: number; characters: number } | null = null;
  const measured = () => (input ??= measureInput());
  const request: AdmissionRequest = {
    requestId: lifecycle.requestId,
    principal,
    endUser: lifecycle.endUser,
    model,
    get inputTokens() {
      return measured().tokens;
    },
    get inputCharacters() {
      return measured().characters;
    },
    maxOutputTokens,
    choices,
  };
  return policies.admit(request);
}
