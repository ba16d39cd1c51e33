import {
  chiSquareGoodnessOfFit, expectedLossBeta, holmAdjust, normalQuantile, probabilityBetaGreater, probabilityMeanLower, quantile,
  summarize, twoProportionZTest, welchTTest, wilsonInterval,
} from '../../lib/index.js';
import type { SampleSummary } from '../../lib/index.js';
import type { ExperimentOutcomeRow, ExperimentVariant } from '../../storage/index.js';
import { decodeExposure } from './exposure.js';

/** The sample-ratio-mismatch bar: below it the split cannot be trusted. */
export const SRM_P_VALUE = 0.001;

/** Cache statuses whose latency and cost say nothing about the variant. */
const CACHED = new Set(['hit', 'semantic_hit', 'coalesced']);

export interface ResultsInput {
  name: string;
  phase: number;
  variants: readonly ExperimentVariant[];
  primaryMetric: string;
  guardrails: readonly string[];
  minSamplesPerVariant: number;
  confidence: number;
  outcomes: readonly ExperimentOutcomeRow[];
  /** For a `feedback:<metric>` primary metric: each request's value of that metric. */
  feedback?: ReadonlyMap<string, number> | undefined;
}

export interface VariantResult {
  name: string;
  weight: number;
  /** Exposures counted: every assigned request of the phase, pinned ones excluded. */
  n: number;
  successes: number;
  success_rate: number | null;
  ci_low: number | null;
  ci_high: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_mean_ms: number | null;
  mean_input_tokens: number | null;
  mean_output_tokens: number | null;
  mean_cost_usd: number | null;
  total_cost_usd: number;
  /** Requests answered from the cache: counted in n and success, left out of latency, tokens and cost. */
  cache_hits: number;
  /** Requests that carried no unit and were assigned by chance. */
  unit_missing: number;
  /** Feedback metrics: how many requests got a value, and their mean. */
  feedback_n: number | null;
  mean_feedback: number | null;
}

export interface GuardrailCheck {
  metric: string;
  /** The variant minus control (for latency_p95, the difference of the p95s). */
  difference: number | null;
  p_value: number | null;
  ok: boolean;
}

export interface Comparison {
  variant: string;
  metric: string;
  /** The variant minus control on the primary metric (success rate as a fraction; latency in ms of the geometric mean). */
  difference: number | null;
  /** The relative change against control. */
  lift: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
  /** Holm-adjusted over the comparisons with control (equal to p_value with one challenger). */
  p_value_adjusted: number | null;
  /** P(variant is better than control): Beta posteriors for success, normal approximation for the rest. */
  prob_beat_control: number | null;
  /** Success rate only: the rate expected to be lost by choosing this variant if it is in fact worse. */
  expected_loss: number | null;
  significant: boolean;
  better: boolean;
  guardrails: GuardrailCheck[];
}

export interface ExperimentResults {
  name: string;
  phase: number;
  primary_metric: string;
  confidence: number;
  min_samples_per_variant: number;
  variants: VariantResult[];
  comparisons: Comparison[];
  srm_p_value: number | null;
  srm_alarm: boolean;
  /** Pinned requests (x-sluice-variant), left out of everything above. */
  excluded_forced: number;
  enough_data: boolean;
  winner: string | null;
  verdict: string;
}

interface Sample {
  name: string;
  weight: number;
  n: number;
  successes: number;
  latencies: number[];
  inputTokens: number[];
  outputTokens: number[];
  costs: number[];
  totalCost: number;
  cacheHits: number;
  unitMissing: number;
  scores: number[];
}

/**
 * An experiment phase's results from its logged exposures (intent to treat: a request counts for
 * the variant it was assigned, whatever happened next). Pure: the service reads the rows.
 */
export function computeResults(input: ResultsInput): ExperimentResults {
  const samples = new Map<string, Sample>(input.variants.map((variant) => [variant.name, emptySample(variant)]));
  let forced = 0;
  for (const row of input.outcomes) {
    const exposure = decodeExposure(row.experimentVariant);
    if (exposure === null || exposure.experiment !== input.name || exposure.phase !== input.phase) continue;
    if (exposure.mode === 'forced') {
      forced += 1;
      continue;
    }
    const sample = samples.get(exposure.variant);
    if (sample === undefined) continue;
    sample.n += 1;
    if (exposure.mode === 'random') sample.unitMissing += 1;
    const score = input.feedback?.get(row.requestId);
    if (score !== undefined) sample.scores.push(score);
    if (row.statusCode >= 200 && row.statusCode < 300 && row.errorCode === null) sample.successes += 1;
    if (row.cacheStatus !== null && CACHED.has(row.cacheStatus)) {
      sample.cacheHits += 1;
      continue;
    }
    sample.latencies.push(Math.max(1, row.durationMs));
    sample.inputTokens.push(row.promptTokens);
    sample.outputTokens.push(row.completionTokens);
    sample.costs.push(row.costUsd);
    sample.totalCost += row.costUsd;
  }
  const ordered = input.variants.map((variant) => samples.get(variant.name) ?? emptySample(variant));
  const isFeedback = input.primaryMetric.startsWith('feedback:');
  const variants = ordered.map((sample) => variantResult(sample, input.confidence, isFeedback));
  const [control, ...challengers] = ordered;
  if (control === undefined) throw new Error('an experiment has at least two variants');

  const srm = chiSquareGoodnessOfFit(ordered.map((sample) => sample.n), ordered.map((sample) => sample.weight));
  const srmPValue = ordered.some((sample) => sample.n > 0) ? srm.pValue : null;
  const srmAlarm = srmPValue !== null && srmPValue < SRM_P_VALUE;
  const alpha = 1 - input.confidence;

  const raw = challengers.map((challenger) => compare(input.primaryMetric, control, challenger, input.confidence));
  const adjusted = holmAdjust(raw.map((comparison) => comparison.p_value ?? 1));
  const comparisons = raw.map((comparison, index) => {
    const challenger = challengers[index];
    const pAdjusted = comparison.p_value === null ? null : adjusted[index] ?? null;
    const significant = pAdjusted !== null && pAdjusted < alpha;
    const guardrails = challenger === undefined ? [] : input.guardrails.map((metric) => guardrail(metric, control, challenger, alpha));
    return { ...comparison, p_value_adjusted: pAdjusted, significant, guardrails };
  });

  // A feedback metric is only as well sampled as the requests that got a value.
  const sampleSize = (sample: Sample): number => (isFeedback ? sample.scores.length : sample.n);
  const short = ordered.filter((sample) => sampleSize(sample) < input.minSamplesPerVariant);
  const enoughData = short.length === 0;
  let winner: string | null = null;
  let verdict: string;
  if (srmAlarm) {
    verdict = `Sample ratio mismatch (χ² p = ${formatP(srmPValue)}): the split of ${ordered.map((sample) => `${sample.name} ${sample.n}`).join(', ')} does not match the weights. Do not trust these results; look for what drops or duplicates one variant's requests.`;
  } else if (!enoughData) {
    verdict = `Not enough data: ${short.map((sample) => `${sample.name} has ${sampleSize(sample)} of ${input.minSamplesPerVariant}`).join(', ')} ${isFeedback ? 'scored requests' : 'samples'}. No winner is declared before every variant reaches the minimum.`;
  } else {
    const winners = comparisons.filter((comparison) => comparison.significant && comparison.better && comparison.guardrails.every((check) => check.ok));
    const best = winners.sort((a, b) => (b.prob_beat_control ?? 0) - (a.prob_beat_control ?? 0))[0];
    const blocked = comparisons.filter((comparison) => comparison.significant && comparison.better && !comparison.guardrails.every((check) => check.ok));
    if (best !== undefined) {
      winner = best.variant;
      verdict = `${best.variant} beats ${control.name} on ${metricLabel(input.primaryMetric)} (${describeComparison(best, input)})${guardrailText(best)}.`;
    } else if (comparisons.length > 0 && comparisons.every((comparison) => comparison.significant && !comparison.better)) {
      winner = control.name;
      verdict = `${control.name} holds: every variant is worse on ${metricLabel(input.primaryMetric)} (${comparisons.map((comparison) => `${comparison.variant}: ${describeComparison(comparison, input)}`).join('; ')}).`;
    } else if (blocked.length > 0) {
      verdict = `${blocked.map((comparison) => comparison.variant).join(', ')} is better on ${metricLabel(input.primaryMetric)} but fails a guardrail (${blocked.map((comparison) => comparison.guardrails.filter((check) => !check.ok).map((check) => check.metric).join(', ')).join('; ')}); no winner.`;
    } else {
      verdict = `No significant difference on ${metricLabel(input.primaryMetric)} yet (${comparisons.map((comparison) => `${comparison.variant}: ${describeComparison(comparison, input)}`).join('; ')}).`;
    }
  }
  return {
    name: input.name,
    phase: input.phase,
    primary_metric: input.primaryMetric,
    confidence: input.confidence,
    min_samples_per_variant: input.minSamplesPerVariant,
    variants,
    comparisons,
    srm_p_value: srmPValue,
    srm_alarm: srmAlarm,
    excluded_forced: forced,
    enough_data: enoughData,
    winner,
    verdict,
  };
}

function emptySample(variant: ExperimentVariant): Sample {
  return {
    name: variant.name, weight: variant.weight, n: 0, successes: 0, latencies: [], inputTokens: [], outputTokens: [], costs: [],
    totalCost: 0, cacheHits: 0, unitMissing: 0, scores: [],
  };
}

function variantResult(sample: Sample, confidence: number, isFeedback: boolean): VariantResult {
  const interval = sample.n === 0 ? null : wilsonInterval(sample.successes, sample.n, confidence);
  return {
    name: sample.name,
    weight: sample.weight,
    n: sample.n,
    successes: sample.successes,
    success_rate: sample.n === 0 ? null : sample.successes / sample.n,
    ci_low: interval?.low ?? null,
    ci_high: interval?.high ?? null,
    latency_p50_ms: orNull(quantile(sample.latencies, 0.5)),
    latency_p95_ms: orNull(quantile(sample.latencies, 0.95)),
    latency_mean_ms: meanOrNull(sample.latencies),
    mean_input_tokens: meanOrNull(sample.inputTokens),
    mean_output_tokens: meanOrNull(sample.outputTokens),
    mean_cost_usd: meanOrNull(sample.costs),
    total_cost_usd: sample.totalCost,
    cache_hits: sample.cacheHits,
    unit_missing: sample.unitMissing,
    feedback_n: isFeedback ? sample.scores.length : null,
    mean_feedback: isFeedback ? meanOrNull(sample.scores) : null,
  };
}

type RawComparison = Omit<Comparison, 'p_value_adjusted' | 'significant' | 'guardrails'>;

function compare(metric: string, control: Sample, challenger: Sample, confidence: number): RawComparison {
  const base = { variant: challenger.name, metric };
  if (metric === 'success_rate') {
    if (control.n === 0 || challenger.n === 0) return { ...base, ...nothing() };
    const rateA = control.successes / control.n;
    const rateB = challenger.successes / challenger.n;
    const z = normalQuantile(1 - (1 - confidence) / 2);
    const standardError = Math.sqrt((rateA * (1 - rateA)) / control.n + (rateB * (1 - rateB)) / challenger.n);
    const test = twoProportionZTest(control.successes, control.n, challenger.successes, challenger.n);
    const [aA, bA, aB, bB] = [1 + control.successes, 1 + control.n - control.successes, 1 + challenger.successes, 1 + challenger.n - challenger.successes];
    return {
      ...base,
      difference: rateB - rateA,
      lift: rateA === 0 ? null : (rateB - rateA) / rateA,
      ci_low: rateB - rateA - z * standardError,
      ci_high: rateB - rateA + z * standardError,
      p_value: test.pValue,
      prob_beat_control: probabilityBetaGreater(aA, bA, aB, bB),
      expected_loss: expectedLossBeta(aA, bA, aB, bB),
      better: rateB > rateA,
    };
  }
  if (metric.startsWith('feedback:')) {
    // Higher is better: a thumbs-up rate or a task-success score, tested with Welch.
    const a = summarize(control.scores);
    const b = summarize(challenger.scores);
    if (a.n < 2 || b.n < 2) return { ...base, ...nothing() };
    const test = welchTTest(a, b, confidence);
    return {
      ...base,
      difference: test.difference,
      lift: a.mean === 0 ? null : test.difference / a.mean,
      ci_low: test.interval.low,
      ci_high: test.interval.high,
      p_value: test.pValue,
      prob_beat_control: probabilityMeanLower(b, a),
      expected_loss: null,
      better: b.mean > a.mean,
    };
  }
  // Lower is better for latency, cost and tokens. Latency is heavy-tailed: its test runs on logs,
  // and the difference is reported between geometric means.
  const logScale = metric === 'latency';
  const valuesOf = (sample: Sample): number[] => metric === 'latency'
    ? sample.latencies.map(Math.log)
    : metric === 'cost' ? sample.costs : sample.inputTokens.map((input, index) => input + (sample.outputTokens[index] ?? 0));
  const a = summarize(valuesOf(control));
  const b = summarize(valuesOf(challenger));
  if (a.n < 2 || b.n < 2) return { ...base, ...nothing() };
  const test = welchTTest(a, b, confidence);
  const centre = (summary: SampleSummary): number => (logScale ? Math.exp(summary.mean) : summary.mean);
  const difference = centre(b) - centre(a);
  return {
    ...base,
    difference,
    lift: centre(a) === 0 ? null : difference / centre(a),
    ci_low: logScale ? centre(a) * (Math.exp(test.interval.low) - 1) : test.interval.low,
    ci_high: logScale ? centre(a) * (Math.exp(test.interval.high) - 1) : test.interval.high,
    p_value: test.pValue,
    prob_beat_control: probabilityMeanLower(a, b),
    expected_loss: null,
    better: b.mean < a.mean,
  };
}

function nothing(): Omit<RawComparison, 'variant' | 'metric'> {
  return { difference: null, lift: null, ci_low: null, ci_high: null, p_value: null, prob_beat_control: null, expected_loss: null, better: false };
}

/** A guardrail fails when the variant is significantly worse than control on it (not Holm-adjusted: guardrails err on caution). */
function guardrail(metric: string, control: Sample, challenger: Sample, alpha: number): GuardrailCheck {
  const tested = compare(metric === 'latency_p95' ? 'latency' : metric, control, challenger, 1 - alpha);
  const difference = metric === 'latency_p95'
    ? differenceOrNull(quantile(challenger.latencies, 0.95), quantile(control.latencies, 0.95))
    : tested.difference;
  const worse = tested.p_value !== null && tested.p_value < alpha && !tested.better && tested.difference !== 0;
  return { metric, difference, p_value: tested.p_value, ok: !worse };
}

function describeComparison(comparison: Comparison, input: ResultsInput): string {
  const parts: string[] = [];
  if (comparison.prob_beat_control !== null) parts.push(`P(beats control) = ${comparison.prob_beat_control.toFixed(3)}`);
  if (comparison.difference !== null) {
    if (input.primaryMetric === 'success_rate') {
      const percent = Math.round(input.confidence * 100);
      parts.push(`${signed(comparison.difference * 100, 1)} pp, ${percent} % CI [${((comparison.ci_low ?? 0) * 100).toFixed(1)}, ${((comparison.ci_high ?? 0) * 100).toFixed(1)}]`);
    } else {
      parts.push(`${signed(comparison.difference, input.primaryMetric === 'cost' ? 6 : 1)} ${unitOf(input.primaryMetric)}`);
    }
  }
  if (comparison.p_value_adjusted !== null) parts.push(`p = ${formatP(comparison.p_value_adjusted)}`);
  return parts.join(', ');
}

function guardrailText(comparison: Comparison): string {
  if (comparison.guardrails.length === 0) return '';
  return `; guardrails ok (${comparison.guardrails.map((check) => check.metric).join(', ')})`;
}

function metricLabel(metric: string): string {
  return metric === 'success_rate' ? 'success rate' : metric.startsWith('feedback:') ? `feedback ${metric.slice('feedback:'.length)}` : metric;
}

function unitOf(metric: string): string {
  if (metric.startsWith('feedback:')) return 'mean score';
  return metric === 'latency' ? 'ms (geometric mean)' : metric === 'cost' ? 'USD per request' : 'tokens per request';
}

function signed(value: number, digits: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

function formatP(p: number | null): string {
  if (p === null) return 'n/a';
  return p < 0.0001 ? p.toExponential(1) : p.toFixed(4);
}

function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

function meanOrNull(values: readonly number[]): number | null {
  return values.length === 0 ? null : summarize(values).mean;
}

function differenceOrNull(a: number, b: number): number | null {
  return Number.isNaN(a) || Number.isNaN(b) ? null : a - b;
}
