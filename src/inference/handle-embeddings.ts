import type { CacheControls } from '../cache/index.js';
import { NO_CONTROLS } from '../cache/index.js';
import type { EmbeddingsRequest, EmbeddingsResult } from '../core/index.js';
import { OPEN_ADMISSION, estimateEmbeddingsInput } from '../policies/index.js';
import type { Admission } from '../policies/index.js';
import { admitRequest } from './admit-request.js';
import type { InferenceDependencies } from './handle-chat-completion.js';
import { modelNotFound } from './handle-chat-completion.js';
import type { RequestLifecycle } from './request-lifecycle.js';

export async function handleEmbeddings(
  dependencies: InferenceDependencies,
  lifecycle: RequestLifecycle,
  request: EmbeddingsRequest,
  cacheControls: CacheControls = NO_CONTROLS,
): Promise<EmbeddingsResult> {
  lifecycle.describe({ kind: 'embeddings', body: request }, request.model, false);
  let admission: Admission = OPEN_ADMISSION;
  try {
    const route = dependencies.models.resolve(request.model);
    if (route === null) throw modelNotFound(request.model);
    admission = await admitRequest(dependencies.policies, lifecycle, request.model, () => estimateEmbeddingsInput(request), 0);
    lifecycle.rateLimitHeaders = admission.headers;
    const cache = dependencies.cache;
    let result: EmbeddingsResult;
    if (cache !== undefined && dependencies.embeddingsCache !== undefined && cache.appliesTo(request.model)) {
      const principal = lifecycle.principal;
      const priceBook = dependencies.priceBook;
      const run = await dependencies.embeddingsCache.run({
        request, tenantId: principal?.tenantId ?? null, keyId: principal?.keyId ?? null, endUser: lifecycle.endUser,
        controls: cacheControls, ttlS: cache.ttlFor(request.model),
      }, (misses) => route.embed(misses, lifecycle.callContext()), {
        requestId: lifecycle.requestId,
        costOf: (answer) => priceBook?.costUsd({ requestedModel: request.model, provider: answer.provider, providerModel: answer.model }, answer.usage) ?? 0,
      });
      result = run.result;
      lifecycle.cache = {
        status: run.status, ageS: null, similarity: null, originRequestId: null, savedUsd: run.hits === 0 ? null : run.savedUsd,
      };
    } else {
      result = await route.embed(request, lifecycle.callContext());
    }
    void admission.settle({ usage: result.usage, provider: result.provider, providerModel: result.model, streamedOutputTokens: 0 });
    lifecycle.provider = result.provider;
    lifecycle.providerModel = result.model;
    lifecycle.succeed({ ...result, responseBody: () => `[${result.response.data.length} embedding(s)]` });
    return result;
  } catch (error) {
    void admission.settle({ usage: null, provider: null, providerModel: null, streamedOutputTokens: 0 });
    lifecycle.fail(error);
    throw error;
  }
}
