// jstat ships no types (and @types/jstat does not exist); the tests use it only as an oracle for
// src/lib/stats.ts, so only the functions they call are declared.
declare module 'jstat' {
  interface JStat {
    gammaln(x: number): number;
    betaln(a: number, b: number): number;
    ibeta(x: number, a: number, b: number): number;
    lowRegGamma(a: number, x: number): number;
    erfc(x: number): number;
    normal: { cdf(x: number, mean: number, sd: number): number; inv(p: number, mean: number, sd: number): number };
    studentt: { cdf(x: number, df: number): number; inv(p: number, df: number): number };
    chisquare: { cdf(x: number, k: number): number };
    beta: { cdf(x: number, a: number, b: number): number; pdf(x: number, a: number, b: number): number };
  }
  const jStat: JStat;
  export default jStat;
}
