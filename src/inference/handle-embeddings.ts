import type { CallContext, EmbeddingsRequest, EmbeddingsResult } from '../core/index.js';
import { OPEN_ADMISSION, estimateEmbeddingsInput } from '../policies/index.js';
import type { Admission } from '../policies/index.js';
import { admitRequest } from './admit-request.js';
import type { InferenceDependencies } from './handle-chat-completion.js';
import { modelNotFound } from './handle-chat-completion.js';
import type { RequestContext } from './request-context.js';
import { RequestRecorder } from './request-recorder.js';

export async function handleEmbeddings(
  dependencies: InferenceDependencies,
  request: EmbeddingsRequest,
  context: RequestContext,
): Promise<{ result: EmbeddingsResult; attempts: CallContext['attempts']; rateLimitHeaders: Readonly<Record<string, string>> }> {
  const recorder = new RequestRecorder(context, dependencies.events, request.model, false, {
    pricer: dependencies.pricer, logBodies: dependencies.logBodies, request: { kind: 'embeddings', body: request },
  });
  const callContext: CallContext = { requestId: context.requestId, signal: context.signal, attempts: recorder.attempts };
  let admission: Admission = OPEN_ADMISSION;
  try {
    const route = dependencies.models.resolve(request.model);
    if (route === null) throw modelNotFound(request.model);
    admission = await admitRequest(dependencies.policies, context, request.model, () => estimateEmbeddingsInput(request), 0);
    const result = await route.embed(request, callContext);
    void admission.settle({ usage: result.usage, provider: result.provider, providerModel: result.model, streamedOutputTokens: 0 });
    recorder.succeed({ ...result, responseBody: () => `[${result.response.data.length} embedding(s)]` });
    return { result, attempts: recorder.attempts, rateLimitHeaders: admission.headers };
  } catch (error) {
    void admission.settle({ usage: null, provider: null, providerModel: null, streamedOutputTokens: 0 });
    recorder.fail(error);
    throw error;
  }
}
