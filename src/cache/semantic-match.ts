import type { CacheEntry } from '../storage/index.js';

export interface SemanticMatch {
  entry: CacheEntry;
  /** Cosine similarity in [-1, 1]; a hit needs at least the threshold. */
  similarity: number;
}

/**
 * Cosine similarity tolerates this much floating-point error at the threshold, so a pair whose
 * similarity is the threshold (as written in the config) counts as a hit, as documented.
 */
const EPSILON = 1e-9;

/** Cosine SIMILARITY (1 = same direction), never a distance; zero vectors are similar to nothing. */
export function cosineSimilarity(left: readonly number[], right: readonly number[]): number {
  if (left.length !== right.length || left.length === 0) return -1;
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  for (let index = 0; index < left.length; index++) {
    const a = left[index] ?? 0;
    const b = right[index] ?? 0;
    dot += a * b;
    leftNorm += a * a;
    rightNorm += b * b;
  }
  if (leftNorm === 0 || rightNorm === 0) return -1;
  return dot / Math.sqrt(leftNorm * rightNorm);
}

/**
 * The most similar candidate at or above the threshold (brute force: partitions are exact-scoped
 * and capped, so they stay small), or null.
 */
export function findSemanticMatch(query: readonly number[], candidates: readonly CacheEntry[], threshold: number): SemanticMatch | null {
  let best: SemanticMatch | null = null;
  for (const entry of candidates) {
    if (entry.embedding === null) continue;
    const similarity = cosineSimilarity(query, entry.embedding);
    if (similarity + EPSILON >= threshold && (best === null || similarity > best.similarity)) best = { entry, similarity };
  }
  return best;
}
