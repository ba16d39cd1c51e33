/**
 * Run as a child process with --expose-gc: starts a gateway, measures the heap after a full
 * collection, sends the requests the parent describes, collects again and prints both figures.
 */
import { startMockUpstream } from '../mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './start-gateway.js';

const gc = globalThis.gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function settledHeap(): number {
  for (let round = 0; round < 4; round++) gc?.();
  return process.memoryUsage().heapUsed;
}

const upstream = await startMockUpstream();
const gateway = await startTestGateway({
  providers: [{ name: 'upstream', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream' }],
  models: [{ name: 'small', targets: [{ provider: 'upstream', model: 'gpt-4o-mini' }] }],
});
const huge = (seed: number) => `${seed}-${'m'.repeat(1024 * 1024)}`;
const post = (path: string, key: string, body: unknown) =>
  fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (response) => ({ status: response.status, text: await response.text() }));
const send = (body: Record<string, unknown>, key = TEST_MASTER_KEY) => post('/v1/chat/completions', key, body);
const created: unknown = JSON.parse((await post('/admin/api/keys', TEST_MASTER_KEY, { name: 'slow', limits: { rpm: 1 } })).text);
const slowKey = created !== null && typeof created === 'object' && 'key' in created && typeof created.key === 'string' ? created.key : '';
await send({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }, slowKey);
// Warm up every path once, so that lazily built state counts before the first measurement.
const statuses: number[] = [];
const round = async (index: number) => {
  statuses.push((await send({ model: huge(index), messages: [{ role: 'user', content: 'hi' }] })).status);
  statuses.push((await send({ model: 'small', user: huge(index), messages: [{ role: 'user', content: 'hi' }] })).status);
  statuses.push((await send({ model: huge(index), user: huge(index), messages: [{ role: 'user', content: 'hi' }] }, slowKey)).status);
};
const rounds = Number(process.argv[2] ?? '60');
for (let index = 0; index < 3; index++) await round(-1 - index);
const before = settledHeap();
for (let index = 0; index < rounds; index++) await round(index);
const after = settledHeap();
await gateway.close();
await upstream.close();
process.stdout.write(`${JSON.stringify({ before, after, statuses: [...new Set(statuses)].sort() })}\n`);
