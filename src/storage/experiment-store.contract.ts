import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentConflictError } from './experiment-store.js';
import type { ExperimentRecord, ExperimentStore, StatusChange } from './experiment-store.js';

/** The behaviour every ExperimentStore must show; run by memory, SQLite and Postgres. */
export function describeExperimentStoreContract(name: string, open: () => Promise<{ store: ExperimentStore; cleanup: () => Promise<void> }>): void {
  describe(`ExperimentStore contract: ${name}`, () => {
    let store: ExperimentStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    afterAll(async () => {
      await cleanup();
    });

    const record = (experimentName: string, target: string, overrides: Partial<ExperimentRecord> = {}): ExperimentRecord => ({
      id: `exp_${experimentName}`,
      name: experimentName,
      targetKind: 'model',
      targetName: target,
      status: 'draft',
      phase: 1,
      salt: `salt-${experimentName}`,
      variants: [{ name: 'control', weight: 50, model: 'cheap' }, { name: 'b', weight: 50, model: 'smart', params: { temperature: 0 } }],
      unit: 'user',
      primaryMetric: 'success_rate',
      guardrails: ['latency_p95'],
      minSamplesPerVariant: 200,
      confidence: 0.95,
      description: 'which model answers better ✓',
      source: 'api',
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      startedAt: null,
      stoppedAt: null,
      winner: null,
      ...overrides,
    });
    const start = (at: number): StatusChange => ({ from: ['draft'], to: 'running', at, event: { type: 'started', actor: 'master', details: {} } });

    it('creates a draft and gives it back intact, by name and in the list', async () => {
      const created = record('intact', 'm-intact');
      await store.create(created, 'master');
      expect(await store.get('intact')).toEqual(created);
      expect((await store.list()).map((entry) => entry.name)).toContain('intact');
      expect(await store.get('nope')).toBeNull();
      await expect(store.create(record('intact', 'other'), 'master')).rejects.toMatchObject({ reason: 'name_taken' });
    });

    it('walks draft → running → paused → running → stopped, recording every change', async () => {
      await store.create(record('walk', 'm-walk'), 'master');
      const running = await store.changeStatus('walk', start(1_700_000_001_000));
      expect(running).toMatchObject({ status: 'running', startedAt: 1_700_000_001_000 });
      expect((await store.listRunning()).map((entry) => entry.name)).toContain('walk');
      await store.changeStatus('walk', { from: ['running'], to: 'paused', at: 1_700_000_002_000, event: { type: 'paused', actor: 'key-a', details: {} } });
      await store.changeStatus('walk', { from: ['paused'], to: 'running', at: 1_700_000_003_000, event: { type: 'resumed', actor: 'key-a', details: {} } });
      const stopped = await store.changeStatus('walk', {
        from: ['running', 'paused'], to: 'stopped', at: 1_700_000_004_000, winner: 'b', event: { type: 'stopped', actor: 'master', details: { winner: 'b' } },
      });
      expect(stopped).toMatchObject({ status: 'stopped', winner: 'b', startedAt: 1_700_000_001_000, stoppedAt: 1_700_000_004_000 });
      expect(await store.get('walk')).toEqual(stopped);
      const events = await store.events('walk');
      expect(events.map((event) => [event.type, event.actor, event.at])).toEqual([
        ['created', 'master', 1_700_000_000_000],
        ['started', 'master', 1_700_000_001_000],
        ['paused', 'key-a', 1_700_000_002_000],
        ['resumed', 'key-a', 1_700_000_003_000],
        ['stopped', 'master', 1_700_000_004_000],
      ]);
      expect(events[4]?.details).toEqual({ winner: 'b' });
    });

    it('refuses a status change from a state the caller did not expect', async () => {
      await store.create(record('strict', 'm-strict'), 'master');
      await expect(store.changeStatus('strict', { from: ['running'], to: 'paused', at: 1, event: { type: 'paused', actor: 'master', details: {} } }))
        .rejects.toBeInstanceOf(ExperimentConflictError);
      expect((await store.get('strict'))?.status).toBe('draft');
      expect((await store.events('strict')).map((event) => event.type)).toEqual(['created']);
      await expect(store.changeStatus('missing', start(1))).rejects.toMatchObject({ reason: 'not_found' });
    });

    it('runs at most one experiment per target', async () => {
      await store.create(record('first', 'm-busy'), 'master');
      await store.create(record('second', 'm-busy'), 'master');
      await store.create(record('elsewhere', 'm-busy', { targetKind: 'prompt' }), 'master');
      await store.changeStatus('first', start(10));
      await expect(store.changeStatus('second', start(11))).rejects.toMatchObject({ reason: 'target_busy' });
      expect((await store.get('second'))?.status).toBe('draft');
      // The same name under another kind of target is another target.
      await store.changeStatus('elsewhere', start(12));
      await store.changeStatus('first', { from: ['running'], to: 'stopped', at: 13, event: { type: 'stopped', actor: 'master', details: {} } });
      await store.changeStatus('second', start(14));
      await expect(store.create(record('third', 'm-busy', { status: 'running' }), 'config')).rejects.toMatchObject({ reason: 'target_busy' });
    });

    it('a new phase freezes the old variants and keeps both', async () => {
      await store.create(record('phased', 'm-phased'), 'master');
      await store.changeStatus('phased', start(20));
      const current = await store.get('phased');
      if (current === null) throw new Error('the experiment vanished');
      const variants = [{ name: 'control', weight: 20, model: 'cheap' }, { name: 'b', weight: 80, model: 'smart' }];
      const next = await store.changeDefinition('phased', {
        settings: { ...current, minSamplesPerVariant: 500 }, variants, newPhase: true, at: 30,
        event: { type: 'phase_started', actor: 'master', details: { reason: 'weights' } },
      });
      expect(next).toMatchObject({ phase: 2, variants, minSamplesPerVariant: 500, status: 'running' });
      expect(await store.get('phased')).toEqual(next);
      const phases = await store.phases('phased');
      expect(phases).toEqual([
        { phase: 1, variants: current.variants, startedAt: current.createdAt },
        { phase: 2, variants, startedAt: 30 },
      ]);
      const last = (await store.events('phased')).at(-1);
      expect(last).toMatchObject({ type: 'phase_started', phase: 2, details: { reason: 'weights' } });
    });

    it('an edit of a draft changes its only phase in place', async () => {
      await store.create(record('editable', 'm-edit'), 'master');
      const current = await store.get('editable');
      if (current === null) throw new Error('the experiment vanished');
      const variants = [{ name: 'control', weight: 1 }, { name: 'c', weight: 3, promptVersion: 4 }];
      await store.changeDefinition('editable', { settings: current, variants, newPhase: false, at: 40, event: { type: 'updated', actor: 'master', details: {} } });
      expect(await store.phases('editable')).toEqual([{ phase: 1, variants, startedAt: current.createdAt }]);
    });

    it('keeps the last feedback value per request and metric, and reads a metric from a time on', async () => {
      await store.putFeedback({ requestId: 'req-f1', metric: 'thumbs', value: 0, keyId: 'key_a', createdAt: 100 });
      await store.putFeedback({ requestId: 'req-f1', metric: 'thumbs', value: 1, keyId: 'key_a', createdAt: 110 });
      await store.putFeedback({ requestId: 'req-f1', metric: 'task_success', value: 0.5, keyId: null, createdAt: 120 });
      await store.putFeedback({ requestId: 'req-f0', metric: 'thumbs', value: 1, keyId: null, createdAt: 50 });
      expect(await store.feedback('thumbs', 60)).toEqual([{ requestId: 'req-f1', metric: 'thumbs', value: 1, keyId: 'key_a', createdAt: 110 }]);
      expect((await store.feedback('thumbs', 0)).map((record) => record.requestId).sort()).toEqual(['req-f0', 'req-f1']);
      expect(await store.feedback('task_success', 0)).toEqual([{ requestId: 'req-f1', metric: 'task_success', value: 0.5, keyId: null, createdAt: 120 }]);
    });

    it('records promotions and deletes an experiment with its trail', async () => {
      await store.create(record('doomed', 'm-doomed'), 'master');
      await store.record('doomed', { type: 'promoted', at: 50, actor: 'master', details: { variant: 'b', prompt_version: 4 } });
      expect((await store.events('doomed')).at(-1)).toMatchObject({ type: 'promoted', details: { variant: 'b', prompt_version: 4 } });
      expect(await store.delete('doomed')).toBe(true);
      expect(await store.get('doomed')).toBeNull();
      expect(await store.delete('doomed')).toBe(false);
    });
  });
}
