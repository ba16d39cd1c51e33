import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/index.js';
import type { ChatCompletionChunk, ChatRequest } from '../../core/index.js';
import { convertGeminiResponse } from './convert-gemini-response.js';
import { convertGeminiUsage } from './convert-gemini-usage.js';
import { SKIP_THOUGHT_SIGNATURE, convertToGeminiContents } from './convert-to-gemini-contents.js';
import { geminiResponseSchema } from './gemini-api.js';
import { GeminiStreamToChunks } from './gemini-stream-to-chunks.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { decodeToolCallId, encodeToolCallId } from './tool-call-id.js';

let counter = 0;
const newId = (): string => `id${(counter += 1)}`;

describe('convertToGeminiContents', () => {
  it('maps roles, system instructions, tool calls and results (name looked up by tool_call_id), keeping signatures', () => {
    const signedId = encodeToolCallId('call_1', 'CiQB4/H/Xt5t+sig==');
    const request: ChatRequest = {
      model: 'gemini-3-pro',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } }] },
        { role: 'developer', content: 'Use metric.' },
        { role: 'assistant', content: null, tool_calls: [
          { id: signedId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ] },
        { role: 'tool', tool_call_id: signedId, content: '18C' },
        { role: 'tool', tool_call_id: 'call_2', content: '12:00' },
      ],
    };
    const body = convertToGeminiContents(request, { stream: false });
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be terse.' }, { text: 'Use metric.' }] });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather?' }, { inlineData: { mimeType: 'image/png', data: 'iVBO' } }] },
      { role: 'model', parts: [
        { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'CiQB4/H/Xt5t+sig==' },
        { functionCall: { name: 'get_time', args: {} } },
      ] },
      { role: 'user', parts: [
        { functionResponse: { name: 'get_weather', response: { output: '18C' } } },
        { functionResponse: { name: 'get_time', response: { output: '12:00' } } },
      ] },
    ]);
  });

  it('gives a call made elsewhere (no signature) the documented skip signature', () => {
    const body = convertToGeminiContents({
      model: 'g', messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', tool_calls: [{ id: 'toolu_x', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'toolu_x', content: 'ok' },
      ],
    }, { stream: false });
    expect(body.contents[1]?.parts[0]).toMatchObject({ thoughtSignature: SKIP_THOUGHT_SIGNATURE });
  });

  it('maps tools, tool_choice and generationConfig, JSON modes included', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } } };
    const body = convertToGeminiContents({
      model: 'g', messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      temperature: 0.2, top_p: 0.9, max_completion_tokens: 512, stop: 'END', seed: 7,
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema } },
    }, { stream: false });
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: 'f', description: 'd', parametersJsonSchema: { type: 'object' } }] }]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } });
    expect(body.generationConfig).toEqual({
      temperature: 0.2, topP: 0.9, maxOutputTokens: 512, stopSequences: ['END'], seed: 7,
      responseMimeType: 'application/json', responseJsonSchema: schema,
    });
    const jsonObject = convertToGeminiContents({ model: 'g', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' } }, { stream: false });
    expect(jsonObject.generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  it.each([
    [{ tools: [{ type: 'custom' as const, custom: { name: 'x' } }] }, 'tools[0]', false],
    [{ n: 2 }, 'n', true],
    [{ messages: [{ role: 'user' as const, content: 'hi' }, { role: 'tool' as const, tool_call_id: 'nope', content: 'x' }] }, 'messages[1].tool_call_id', false],
  ])('rejects %o with invalid_request naming the param', (extra, param, stream) => {
    let failure: unknown;
    try {
      convertToGeminiContents({ model: 'g', messages: [{ role: 'user', content: 'hi' }], ...extra }, { stream });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({ code: 'invalid_request', param });
  });
});

describe('tool call ids carry thought signatures reversibly', () => {
  it('round-trips and stays within [A-Za-z0-9_-]', () => {
    const id = encodeToolCallId('call_abc', 'Cq+/=xyz');
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeToolCallId(id)).toEqual({ base: 'call_abc', signature: 'Cq+/=xyz' });
    expect(decodeToolCallId('call_plain')).toEqual({ base: 'call_plain', signature: null });
  });
});

describe('mapGeminiFinishReason', () => {
  it.each([
    ['STOP', false, 'stop'], ['STOP', true, 'tool_calls'], ['MAX_TOKENS', true, 'length'], ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'], ['PROHIBITED_CONTENT', false, 'content_filter'], ['OTHER', false, 'stop'], [null, false, 'stop'],
  ])('%s (calls: %s) → %s', (reason, calls, expected) => {
    expect(mapGeminiFinishReason(reason, calls)).toBe(expected);
  });
});

describe('convertGeminiUsage', () => {
  it('counts thoughts as completion and reasoning tokens, cached content as cached tokens', () => {
    expect(convertGeminiUsage({
      promptTokenCount: 120, cachedContentTokenCount: 100, candidatesTokenCount: 9, thoughtsTokenCount: 30, toolUsePromptTokenCount: 0, totalTokenCount: 159,
    })).toEqual({
      prompt_tokens: 120, completion_tokens: 39, total_tokens: 159,
      prompt_tokens_details: { cached_tokens: 100 }, completion_tokens_details: { reasoning_tokens: 30 },
    });
  });
});

describe('convertGeminiResponse', () => {
  it('STOP with a function call is tool_calls; signature lands in the id; thought text is left out', () => {
    const completion = convertGeminiResponse(geminiResponseSchema.parse({
      candidates: [{ index: 0, finishReason: 'STOP', content: { role: 'model', parts: [
        { text: 'thinking...', thought: true },
        { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'SIG' },
      ] } }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 2, totalTokenCount: 17 },
      modelVersion: 'gemini-3-pro', responseId: 'r1',
    }), { model: 'g', now: 0, newId });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    expect(call?.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(decodeToolCallId(call?.id ?? '').signature).toBe('SIG');
    expect(completion.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 });
  });

  it('a blocked prompt (no candidates) is content_filter', () => {
    const completion = convertGeminiResponse(geminiResponseSchema.parse({
      promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 },
    }), { model: 'g', now: 0, newId });
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'content_filter', message: { content: null } });
  });
});

describe('GeminiStreamToChunks', () => {
  it('gives calls in different chunks distinct indices and ids, and decides tool_calls on a later STOP', () => {
    const transform = new GeminiStreamToChunks({ model: 'g', now: 0, newId });
    const chunks: ChatCompletionChunk[] = [
      { candidates: [{ content: { role: 'model', parts: [{ text: 'On it.' }] } }] },
      { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'a', args: { x: 1 } } }] } }] },
      { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'b', args: {} } }] } }] },
      { candidates: [{ finishReason: 'STOP', content: { role: 'model', parts: [{ text: '' }] } }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, thoughtsTokenCount: 1 } },
    ].flatMap((event) => transform.push(geminiResponseSchema.parse(event)));
    expect(transform.complete).toBe(true);
    chunks.push(...transform.finish());
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls.map((call) => [call.index, call.function?.name, call.function?.arguments])).toEqual([[0, 'a', '{"x":1}'], [1, 'b', '{}']]);
    expect(calls[0]?.id).not.toBe(calls[1]?.id);
    expect(chunks.flatMap((chunk) => chunk.choices).map((choice) => choice.finish_reason).filter((reason) => reason !== null)).toEqual(['tool_calls']);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8, completion_tokens_details: { reasoning_tokens: 1 } } });
  });
});
