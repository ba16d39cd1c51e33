/**
 * The statistics experiments need, in double precision and with no dependency: distribution
 * functions (normal, Student t, χ², Beta) built on three special functions (log-gamma, the
 * regularized incomplete gamma and beta), and the tests built on them. Every function here is
 * checked in stats.test.ts against published values and against jstat on random inputs.
 *
 * Why in-house: the typed, maintained libraries either lack a Student-t CDF (simple-statistics)
 * or pull hundreds of packages for four functions (@stdlib); jstat is accurate but untyped and
 * unmaintained, so it is the test oracle rather than a runtime dependency.
 */

const EPSILON = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

// Lanczos approximation, g = 7, n = 9: relative error below 1e-15 for positive arguments.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  // The reflection formula keeps small arguments accurate.
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let sum = LANCZOS[0] ?? 0;
  for (let i = 1; i < LANCZOS.length; i += 1) sum += (LANCZOS[i] ?? 0) / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** The regularized lower incomplete gamma P(a, x). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** The regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), computed without cancellation. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

function gammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n += 1) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

// Modified Lentz's method for the continued fraction of Q(a, x).
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** The regularized incomplete beta I_x(a, b). */
export function betaRegularized(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b));
  // The continued fraction converges fast only left of the mean; use the symmetry on the right.
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

// Modified Lentz's method for the continued fraction of I_x(a, b).
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m += 1) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/** erfc(x), through erfc(x) = Q(½, x²) so both tails keep full relative precision. */
export function erfc(x: number): number {
  return x >= 0 ? gammaQ(0.5, x * x) : 2 - gammaQ(0.5, x * x);
}

/** The standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** The standard normal upper tail 1 − Φ(z), accurate far into the tail. */
export function normalSurvival(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Φ⁻¹(p): Acklam's rational approximation, then one Halley step against normalCdf. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const at = (values: number[], i: number): number => values[i] ?? 0;
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((at(c, 0) * q + at(c, 1)) * q + at(c, 2)) * q + at(c, 3)) * q + at(c, 4)) * q + at(c, 5))
      / ((((at(d, 0) * q + at(d, 1)) * q + at(d, 2)) * q + at(d, 3)) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((at(a, 0) * r + at(a, 1)) * r + at(a, 2)) * r + at(a, 3)) * r + at(a, 4)) * r + at(a, 5)) * q)
      / (((((at(b, 0) * r + at(b, 1)) * r + at(b, 2)) * r + at(b, 3)) * r + at(b, 4)) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((at(c, 0) * q + at(c, 1)) * q + at(c, 2)) * q + at(c, 3)) * q + at(c, 4)) * q + at(c, 5))
      / ((((at(d, 0) * q + at(d, 1)) * q + at(d, 2)) * q + at(d, 3)) * q + 1);
  }
  const error = normalCdf(x) - p;
  const u = error * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** The Student t CDF with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTCdf needs df > 0, got ${df}`);
  if (!Number.isFinite(df)) return normalCdf(t);
  const tail = 0.5 * betaRegularized(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** The Student t quantile, by bisection on the CDF (monotone, so it cannot fail to converge). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile needs 0 < p < 1, got ${p}`);
  let low = -1;
  let high = 1;
  while (studentTCdf(low, df) > p) low *= 2;
  while (studentTCdf(high, df) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-13 * Math.max(1, Math.abs(low)); i += 1) {
    const middle = (low + high) / 2;
    if (studentTCdf(middle, df) < p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** The χ² CDF with k degrees of freedom. */
export function chiSquareCdf(x: number, k: number): number {
  return gammaP(k / 2, x / 2);
}

/** The χ² upper tail, the p-value of a χ² statistic. */
export function chiSquareSurvival(x: number, k: number): number {
  return gammaQ(k / 2, x / 2);
}

/** The Beta(a, b) CDF. */
export function betaCdf(x: number, a: number, b: number): number {
  return betaRegularized(x, a, b);
}

export interface Interval {
  low: number;
  high: number;
}

/** The Wilson score interval for `successes` out of `n` at the given confidence (two-sided). */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  if (n === 0) return { low: 0, high: 1 };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface TestResult {
  statistic: number;
  /** Two-sided. */
  pValue: number;
}

/**
 * The two-proportion z-test with the pooled standard error (H0: the rates are equal), comparing
 * B against A: the statistic is positive when B's rate is higher.
 */
export function twoProportionZTest(successesA: number, nA: number, successesB: number, nB: number): TestResult {
  if (nA === 0 || nB === 0) return { statistic: 0, pValue: 1 };
  const pooled = (successesA + successesB) / (nA + nB);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  if (standardError === 0) return { statistic: 0, pValue: 1 };
  const z = (successesB / nB - successesA / nA) / standardError;
  return { statistic: z, pValue: 2 * normalSurvival(Math.abs(z)) };
}

/** What a sample says about its mean: the count, the mean and the unbiased variance. */
export interface SampleSummary {
  n: number;
  mean: number;
  variance: number;
}

/** n, mean and unbiased variance from running sums (Σx, Σx²), as the rollups keep them. */
export function summaryFromSums(n: number, sum: number, sumOfSquares: number): SampleSummary {
  if (n === 0) return { n: 0, mean: 0, variance: 0 };
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumOfSquares - n * mean * mean) / (n - 1)) : 0;
  return { n, mean, variance };
}

/** n, mean and unbiased variance of values, in two passes (no cancellation). */
export function summarize(values: readonly number[]): SampleSummary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: 0, variance: 0 };
  let sum = 0;
  for (const value of values) sum += value;
  const mean = sum / n;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return { n, mean, variance: n > 1 ? squares / (n - 1) : 0 };
}

export interface WelchResult extends TestResult {
  /** The Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** mean(B) − mean(A). */
  difference: number;
  /** The confidence interval of the difference. */
  interval: Interval;
}

/** Welch's unequal-variances t-test of B against A (H0: equal means), from summaries. */
export function welchTTest(a: SampleSummary, b: SampleSummary, confidence = 0.95): WelchResult {
  const difference = b.mean - a.mean;
  const none: WelchResult = { statistic: 0, pValue: 1, df: Number.NaN, difference, interval: { low: Number.NaN, high: Number.NaN } };
  if (a.n < 2 || b.n < 2) return none;
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const standardError = Math.sqrt(va + vb);
  // Two constant samples: equal means are no evidence at all, different ones are certain.
  if (standardError === 0) {
    return difference === 0 ? none : { ...none, statistic: Math.sign(difference) * Infinity, pValue: 0, interval: { low: difference, high: difference } };
  }
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const t = difference / standardError;
  const pValue = 2 * studentTCdf(-Math.abs(t), df);
  const critical = studentTQuantile(1 - (1 - confidence) / 2, df);
  return { statistic: t, pValue, df, difference, interval: { low: difference - critical * standardError, high: difference + critical * standardError } };
}

/** Counts above this use the normal approximation of the Beta posteriors (exact sum is O(successes)). */
const EXACT_BETA_LIMIT = 20_000;

/**
 * P(X_B > X_A) for independent X_A ~ Beta(aA, bA), X_B ~ Beta(aB, bB), by Evan Miller's exact sum
 * over integer aB; for large counts (or non-integer aB) by the normal approximation of each
 * posterior, which at those sizes differs from the exact value far below anything a verdict reads.
 */
export function probabilityBetaGreater(aA: number, bA: number, aB: number, bB: number): number {
  if (Number.isInteger(aB) && aB <= EXACT_BETA_LIMIT) {
    let total = 0;
    const base = logBeta(aA, bA);
    for (let i = 0; i < aB; i += 1) {
      total += Math.exp(logBeta(aA + i, bB + bA) - Math.log(bB + i) - logBeta(1 + i, bB) - base);
    }
    return Math.min(1, Math.max(0, total));
  }
  const [meanA, varianceA] = betaMoments(aA, bA);
  const [meanB, varianceB] = betaMoments(aB, bB);
  return normalCdf((meanB - meanA) / Math.sqrt(varianceA + varianceB));
}

function betaMoments(a: number, b: number): [number, number] {
  const total = a + b;
  return [a / total, (a * b) / (total * total * (total + 1))];
}

/**
 * The expected loss of choosing B over A, E[max(X_A − X_B, 0)] for Beta posteriors (Stucchio's
 * closed form): how much rate one gives up, on average, in the worlds where B is in fact worse.
 */
export function expectedLossBeta(aA: number, bA: number, aB: number, bB: number): number {
  const meanA = aA / (aA + bA);
  const meanB = aB / (aB + bB);
  // E[X_A·1{X_A > X_B}] = meanA·P(X'_A > X_B) with X'_A ~ Beta(aA+1, bA); the same for B.
  const aAboveB = meanA * (1 - probabilityBetaGreater(aA + 1, bA, aB, bB));
  const bAboveA = meanB * probabilityBetaGreater(aA, bA, aB + 1, bB);
  // Ties have probability zero, so E[max(A−B,0)] = E[A·1{A>B}] − E[B·1{A>B}] = aAboveB − (meanB − bAboveA).
  return Math.max(0, aAboveB - (meanB - bAboveA));
}

/**
 * P(mean_B < mean_A) under the normal approximation of each sample mean: the Bayesian
 * "chance to beat control" for a lower-is-better metric (latency, cost, tokens) with a flat prior.
 */
export function probabilityMeanLower(a: SampleSummary, b: SampleSummary): number {
  if (a.n < 2 || b.n < 2) return 0.5;
  const standardError = Math.sqrt(a.variance / a.n + b.variance / b.n);
  if (standardError === 0) return b.mean < a.mean ? 1 : b.mean > a.mean ? 0 : 0.5;
  return normalCdf((a.mean - b.mean) / standardError);
}

/** Holm–Bonferroni adjusted p-values, in the input's order (step-down, kept monotone, capped at 1). */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, index) => ({ p, index })).sort((x, y) => x.p - y.p);
  const adjusted = new Array<number>(m).fill(1);
  let running = 0;
  order.forEach(({ p, index }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[index] = running;
  });
  return adjusted;
}

export interface ChiSquareResult extends TestResult {
  df: number;
}

/** Pearson's χ² goodness of fit of observed counts to expected shares (the sample-ratio-mismatch check). */
export function chiSquareGoodnessOfFit(observed: readonly number[], weights: readonly number[]): ChiSquareResult {
  const total = observed.reduce((sum, count) => sum + count, 0);
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  let statistic = 0;
  let categories = 0;
  observed.forEach((count, i) => {
    const expected = (total * (weights[i] ?? 0)) / weightTotal;
    if (expected > 0) {
      statistic += (count - expected) ** 2 / expected;
      categories += 1;
    }
  });
  const df = categories - 1;
  if (total === 0 || df < 1) return { statistic: 0, pValue: 1, df: Math.max(df, 0) };
  return { statistic, pValue: chiSquareSurvival(statistic, df), df };
}

/** The q-quantile of values by linear interpolation between order statistics (R's type 7). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[above] ?? Number.NaN;
  return low + (high - low) * (position - below);
}
