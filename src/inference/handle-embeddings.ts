import type { CallContext, EmbeddingsRequest, EmbeddingsResult } from '../core/index.js';
import type { InferenceDependencies } from './handle-chat-completion.js';
import { modelNotFound } from './handle-chat-completion.js';
import type { RequestContext } from './request-context.js';
import { RequestRecorder } from './request-recorder.js';

export async function handleEmbeddings(
  dependencies: InferenceDependencies,
  request: EmbeddingsRequest,
  context: RequestContext,
): Promise<{ result: EmbeddingsResult; attempts: CallContext['attempts'] }> {
  const recorder = new RequestRecorder(context, dependencies.events, request.model, false, {
    pricer: dependencies.pricer, logBodies: dependencies.logBodies, request: { kind: 'embeddings', body: request },
  });
  const callContext: CallContext = { requestId: context.requestId, signal: context.signal, attempts: recorder.attempts };
  try {
    const route = dependencies.models.resolve(request.model);
    if (route === null) throw modelNotFound(request.model);
    const result = await route.embed(request, callContext);
    recorder.succeed({ ...result, responseBody: () => `[${result.response.data.length} embedding(s)]` });
    return { result, attempts: recorder.attempts };
  } catch (error) {
    recorder.fail(error);
    throw error;
  }
}
