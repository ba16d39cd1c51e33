import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anthropicMessage, openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const record = z.record(z.string(), z.unknown());

describe('the prompt registry through HTTP', () => {
  let upstream: MockUpstream;
  let gateway: TestGateway;
  let openai: OpenAI;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    gateway = await startTestGateway({
      logging: { level: 'silent', request_log: { flush_interval_ms: 50 } },
      providers: [
        { name: 'up', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-1234567890' },
        { name: 'claude', type: 'anthropic', base_url: upstream.url, api_key: 'sk-ant-upstream-1234567890' },
      ],
      models: [
        { name: 'smart', targets: [{ provider: 'up', model: 'gpt-4o' }] },
        { name: 'sonnet', targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }] },
      ],
      prompts: [{
        name: 'invoice',
        description: 'Extracts invoice totals',
        template: [
          { role: 'system', content: 'You extract invoices for {{company}}. Answer as JSON: {"total": number}' },
          { role: 'user', content: 'Invoice:\n{{text}}' },
        ],
        model_config: { model: 'smart', temperature: 0.2, max_tokens: 300 },
        labels: ['production'],
        commit_message: 'first cut',
      }],
    });
    openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.reset();
  });

  async function admin(method: string, path: string, body?: unknown, key = TEST_MASTER_KEY): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: body === undefined ? { authorization: `Bearer ${key}` } : { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: record.parse(await response.json()) };
  }

  it('renders prompt_id with prompt_variables into the upstream call, the version\'s temperature filling the unset field', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ model: 'gpt-4o', content: '{"total": 5}' }));
    const body: OpenAI.ChatCompletionCreateParamsNonStreaming & Record<string, unknown> = {
      model: 'smart',
      messages: [{ role: 'user', content: 'Be strict & "exact".' }],
      prompt_id: 'invoice',
      prompt_variables: { company: 'ACME & Sons', text: 'Total: <b>$5</b>' },
    };
    const { data, response } = await openai.chat.completions.create(body, { headers: { 'x-request-id': 'prompt-1' } }).withResponse();
    expect(data.choices[0]?.message.content).toBe('{"total": 5}');
    expect(response.headers.get('x-sluice-prompt-version')).toBe('1');
    const sent = record.parse(upstream.requests[0]?.body);
    expect(sent['messages']).toEqual([
      { role: 'system', content: 'You extract invoices for ACME & Sons. Answer as JSON: {"total": number}' },
      { role: 'user', content: 'Invoice:\nTotal: <b>$5</b>' },
      { role: 'user', content: 'Be strict & "exact".' },
    ]);
    expect(sent).toMatchObject({ model: 'gpt-4o', temperature: 0.2, max_tokens: 300 });
    for (const field of ['prompt_id', 'prompt_variables', 'prompt_version', 'prompt_label']) expect(sent).not.toHaveProperty(field);

    await gateway.gateway.flushRequestLog();
    const logged = await admin('GET', '/admin/api/logs/prompt-1');
    expect(logged.body).toMatchObject({ prompt_name: 'invoice', prompt_version: '1', prompt_label: 'production', status: 200 });
  });

  it('keeps the client\'s own temperature, and serves a label named in x-sluice-prompt', async () => {
    const added = await admin('POST', '/admin/api/prompts/invoice/versions', {
      template: [{ role: 'system', content: 'Extract totals for {{company}}.' }, { role: 'user', content: '{{text}}' }],
      model_config: { model: 'smart', temperature: 0.5 },
      labels: ['staging'],
      commit_message: 'shorter',
    });
    expect(added).toMatchObject({ status: 201, body: { version: 2, created: true, label_moves: [{ label: 'staging', from_version: null, to_version: 2 }] } });
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ model: 'gpt-4o' }));
    const body: OpenAI.ChatCompletionCreateParamsNonStreaming & Record<string, unknown> = {
      model: 'smart', messages: [], temperature: 0.9, prompt_variables: { company: 'ACME', text: 'Total 7' },
    };
    const { response } = await openai.chat.completions.create(body, { headers: { 'x-sluice-prompt': 'invoice@staging', 'x-request-id': 'prompt-2' } }).withResponse();
    expect(response.headers.get('x-sluice-prompt-version')).toBe('2');
    const sent = record.parse(upstream.requests[0]?.body);
    expect(sent).toMatchObject({ temperature: 0.9, messages: [{ role: 'system', content: 'Extract totals for ACME.' }, { role: 'user', content: 'Total 7' }] });
    expect(sent).not.toHaveProperty('max_tokens');
    await gateway.gateway.flushRequestLog();
    expect((await admin('GET', '/admin/api/logs/prompt-2')).body).toMatchObject({ prompt_name: 'invoice', prompt_version: '2', prompt_label: 'staging' });
  });

  it('answers a missing variable with a 400 naming it, and an unknown prompt with a 404, before any upstream call', async () => {
    const missing = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt_id: 'invoice', prompt_variables: { company: 'ACME' } }),
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'invalid_request', param: 'prompt_variables.text' } });
    const unknown = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json', 'x-sluice-prompt': 'nope@production' },
      body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(unknown.status).toBe(404);
    expect(upstream.requests).toHaveLength(0);
  });

  it('applies a prompt on /v1/messages: its system text before the client\'s, its turns before the client\'s', async () => {
    upstream.enqueue('/v1/messages', anthropicMessage({ text: '{"total": 9}' }));
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
    const params: Anthropic.MessageCreateParamsNonStreaming & Record<string, unknown> = {
      model: 'sonnet', max_tokens: 64, system: 'Reply briefly.', messages: [{ role: 'user', content: 'thanks' }],
      prompt_id: 'invoice', prompt_version: 1, prompt_variables: { company: 'ACME', text: 'Total 9' },
    };
    const { response } = await anthropic.messages.create(params).withResponse();
    expect(response.headers.get('x-sluice-prompt-version')).toBe('1');
    const sent = record.parse(upstream.requests[0]?.body);
    expect(sent).toMatchObject({
      system: 'You extract invoices for ACME. Answer as JSON: {"total": number}\n\nReply briefly.',
      max_tokens: 64,
      temperature: 0.2,
      messages: [{ role: 'user', content: 'Invoice:\nTotal 9' }, { role: 'user', content: 'thanks' }],
    });
    expect(sent).not.toHaveProperty('prompt_id');
  });

  it('runs the workflow through the admin API: preview, move production, history, roll back, diff', async () => {
    const preview = await admin('POST', '/admin/api/prompts/invoice/render', { label: 'staging', variables: { company: 'ACME', extra: 1 } });
    expect(preview.body).toEqual({
      version: 2, messages: [{ role: 'system', content: 'Extract totals for ACME.' }, { role: 'user', content: '' }], missing: ['text'], unused: ['extra'],
    });
    expect((await admin('PUT', '/admin/api/prompts/invoice/labels/production', { version: 2, reason: 'staging looked good' })).body)
      .toMatchObject({ moved: true, event: { from_version: 1, to_version: 2, reason: 'staging looked good' } });
    expect((await admin('GET', '/admin/api/prompts/invoice')).body).toMatchObject({
      name: 'invoice', type: 'chat', source: 'config', labels: { production: 2, staging: 2 }, latest_version: 2, version: { version: 2 },
    });
    const rollback = await admin('PUT', '/admin/api/prompts/invoice/labels/production', { version: 1, reason: 'roll back' });
    expect(rollback.body, JSON.stringify(rollback.body)).toMatchObject({ moved: true, event: { from_version: 2, to_version: 1 } });
    const history = await admin('GET', '/admin/api/prompts/invoice/labels/production/history');
    expect(z.array(record).parse(history.body['data']).map((event) => [event['from_version'], event['to_version'], event['reason']])).toEqual([
      [2, 1, 'roll back'], [1, 2, 'staging looked good'], [null, 1, 'first cut'],
    ]);
    expect((await admin('PUT', '/admin/api/prompts/invoice/labels/latest', { version: 1 })).status).toBe(400);
    const diff = await admin('GET', '/admin/api/prompts/invoice/versions/1/diff/2');
    expect(diff.body['changes']).toEqual([
      { field: 'model_config.max_tokens', from: 300, to: null },
      { field: 'model_config.temperature', from: 0.2, to: 0.5 },
    ]);
    expect(diff.body['template']).toContain('+ Extract totals for {{company}}.');
    expect((await admin('GET', '/admin/api/prompts/invoice?label=staging&version=1')).status).toBe(400);
  });

  it('counts requests per version in the stats', async () => {
    await gateway.gateway.flushRequestLog();
    const stats = await admin('GET', '/admin/api/prompts/invoice/stats?since=1h');
    const groups = z.array(record).parse(stats.body['data']);
    // Version 1: chat completions and messages succeeded, the call missing a variable failed (400);
    // version 2: one call. The unknown prompt resolved no version and counts nowhere.
    expect(groups.map((group) => [group['group'], group['requests'], group['success_rate']]).sort()).toEqual([['1', 3, 2 / 3], ['2', 1, 1]]);
  });

  it('shows a tenant admin only its tenant\'s prompts', async () => {
    const key = await admin('POST', '/admin/api/keys', { name: 'acme admin', tenant: 'acme', role: 'tenant_admin' });
    const secret = String(key.body['key']);
    const created = await admin('POST', '/admin/api/prompts', { name: 'greet', template: 'Hello {{name}}' }, secret);
    expect(created).toMatchObject({ status: 201, body: { name: 'greet', tenant: 'acme', type: 'text', latest_version: 1 } });
    const mine = await admin('GET', '/admin/api/prompts', undefined, secret);
    expect(z.array(record).parse(mine.body['data']).map((prompt) => prompt['name'])).toEqual(['greet']);
    expect((await admin('GET', '/admin/api/prompts/invoice', undefined, secret)).status).toBe(404);
    expect((await admin('GET', '/admin/api/prompts?tenant=globex', undefined, secret)).status).toBe(403);
    expect((await admin('GET', '/admin/api/prompts/greet?tenant=globex', undefined, secret)).status).toBe(403);
    const all = await admin('GET', '/admin/api/prompts');
    expect(z.array(record).parse(all.body['data']).map((prompt) => `${String(prompt['tenant'])}/${String(prompt['name'])}`)).toEqual(['null/invoice', 'acme/greet']);
  });

  it('reports the registry in readiness', async () => {
    const ready = await fetch(`${gateway.url}/health/ready`);
    expect(record.parse(await ready.json())['checks']).toMatchObject({ prompts: { status: 'ok', feed: 'not_configured' } });
  });
});
