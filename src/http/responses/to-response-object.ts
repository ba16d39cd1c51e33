import type { ChatCompletion, FinishReason, WireUsage } from '../../core/index.js';
import type { IdSource } from './convert-from-responses-request.js';
import type { ResponseObject, ResponseOutputItem, ResponseUsage, ResponsesRequest } from './responses-wire.js';

export interface ResponseIdentity {
  /** `resp_…`, minted by Sluice: the same id in every event, the store and GET. */
  id: string;
  /** Epoch seconds. */
  createdAt: number;
  /** Whether the response will be kept (the request's `store`, unless storing is off). */
  store: boolean;
}

/** The response as it stands before any output: what `response.created` carries. */
export function createResponseSkeleton(request: ResponsesRequest, identity: ResponseIdentity): ResponseObject {
  const format = request.text?.format;
  const response: ResponseObject = {
    id: identity.id,
    object: 'response',
    created_at: identity.createdAt,
    status: 'in_progress',
    background: false,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    model: request.model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    store: identity.store,
    temperature: request.temperature ?? 1,
    text: { format: format === undefined || format === null ? { type: 'text' } : { ...format } },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: null,
    user: request.user ?? null,
  };
  if (request.safety_identifier !== undefined && request.safety_identifier !== null) response.safety_identifier = request.safety_identifier;
  return response;
}

/** Core completion → the finished Response: a reasoning item (when the model reasoned aloud), one message item (text, refusal), one item per tool call. */
export function toResponseObject(
  completion: ChatCompletion,
  skeleton: ResponseObject,
  ids: IdSource,
  completedAt: number,
): ResponseObject {
  const choice = completion.choices[0];
  const output: ResponseOutputItem[] = [];
  const finishReason = choice?.finish_reason ?? null;
  const itemStatus = finishReason === 'length' || finishReason === 'content_filter' ? 'incomplete' : 'completed';
  const message = choice?.message;
  if (message !== undefined) {
    if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') {
      output.push({ type: 'reasoning', id: ids('rs'), summary: [{ type: 'summary_text', text: message.reasoning_content }] });
    }
    const content: Extract<ResponseOutputItem, { type: 'message' }>['content'] = [];
    if (typeof message.content === 'string' && message.content !== '') {
      content.push({ type: 'output_text', text: message.content, annotations: [], logprobs: [] });
    }
    if (typeof message.refusal === 'string' && message.refusal !== '') content.push({ type: 'refusal', refusal: message.refusal });
    if (content.length > 0) output.push({ type: 'message', id: ids('msg'), status: itemStatus, role: 'assistant', content });
    for (const call of message.tool_calls ?? []) {
      output.push({
        type: 'function_call', id: ids('fc'), call_id: call.id, name: call.function.name, arguments: call.function.arguments, status: 'completed',
      });
    }
  }
  return finishResponse(skeleton, output, finishReason, completion.usage ?? null, completedAt);
}

/** The terminal state of a response whose output is known. */
export function finishResponse(
  skeleton: ResponseObject,
  output: ResponseOutputItem[],
  finishReason: FinishReason | null,
  usage: WireUsage | null,
  completedAt: number,
): ResponseObject {
  const incomplete = incompleteReason(finishReason);
  return {
    ...skeleton,
    status: incomplete === null ? 'completed' : 'incomplete',
    completed_at: incomplete === null ? completedAt : null,
    incomplete_details: incomplete === null ? null : { reason: incomplete },
    output,
    usage: usage === null ? null : toResponseUsage(usage),
  };
}

/** A length stop is `incomplete` with reason max_output_tokens, as OpenAI reports it. */
function incompleteReason(finishReason: FinishReason | null): 'max_output_tokens' | 'content_filter' | null {
  if (finishReason === 'length') return 'max_output_tokens';
  if (finishReason === 'content_filter') return 'content_filter';
  return null;
}

export function toResponseUsage(usage: WireUsage): ResponseUsage {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
}
