import { JSONRepairError, jsonrepair } from 'jsonrepair';
import { findClosingBracket, replaceNonFiniteNumbers, scanJsonCandidates } from './scan-json-candidates.js';
import type { JsonCandidate } from './scan-json-candidates.js';

/**
 * What extraction did to a model's text to get JSON out of it, in the order it happened. The
 * names are part of the API (`meta.fixes`, `x-sluice-json-fixes`, the request log).
 */
export type JsonFix =
  /** Removed `<think>`, `<thinking>` or `<reasoning>` blocks. */
  | 'strip_think'
  /** Took the content of a Markdown code fence. */
  | 'strip_fence'
  /** Dropped prose before or after the JSON. */
  | 'strip_prose'
  /** Dropped `[1]`-style citations after the JSON. */
  | 'strip_citations'
  /** Several JSON values were present; one was chosen (the expected type, then the longest). */
  | 'choose_candidate'
  /** Several objects one after another (NDJSON) became one array, because an array was expected. */
  | 'merge_ndjson'
  /** Bare NaN or Infinity became null. */
  | 'replace_non_finite'
  /** The repair library changed the text (quotes, commas, comments, Python literals…). */
  | 'repair'
  /** The text ended before the JSON did; the repair closed the cut-off value. */
  | 'repair_truncated'
  /** Removed `[1]`-style citations inside string values (only with `citations: 'all'`). */
  | 'strip_inner_citations';

export interface ExtractOptions {
  /** The top-level type the schema expects; it wins when several candidates are present. */
  expect?: 'object' | 'array' | null | undefined;
  /**
   * `outside` (default) drops citations after the JSON; `all` also removes them inside string
   * values (this changes data, so it is opt-in); `off` leaves them to the repair.
   */
  citations?: 'outside' | 'all' | 'off' | undefined;
}

export type ExtractResult =
  | { ok: true; value: unknown; fixes: JsonFix[]; truncated: boolean }
  | { ok: false; reason: 'empty' | 'no_json' | 'unrepairable'; message: string; fixes: JsonFix[]; truncated: boolean };

const THINK_BLOCK = /<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi;
const UNCLOSED_THINK = /<(think|thinking|reasoning)>[\s\S]*$/i;
const ORPHAN_THINK_CLOSE = /^[\s\S]*?<\/(?:think|thinking|reasoning)>/i;
const FENCE_OPENING = /```[ \t]*([\w+-]*)[^\n]*\n/g;
const CITATION = /^\[\d+(?:\s*,\s*\d+)*\]$/;
const CITATIONS = /\[\d+(?:\s*,\s*\d+)*\]/g;
const INNER_CITATION = /\s?\[\d+(?:,\s*\d+)*\]/g;

/**
 * Gets one JSON value out of a model's answer: valid JSON passes through untouched (one
 * JSON.parse); otherwise reasoning blocks, code fences, prose and citations are stripped, the best
 * candidate span is chosen, and `jsonrepair` mends what is left. A result that is not an object or
 * array after repair is refused: jsonrepair would turn "I cannot help with that." into a string.
 * Truncation is reported, never hidden: the caller decides whether a cut-off value may stand.
 */
export function extractJson(text: string, options: ExtractOptions = {}): ExtractResult {
  const direct = tryParse(text);
  if (direct.ok && !(options.citations === 'all' && containsInnerCitation(direct.value))) {
    return { ok: true, value: direct.value, fixes: [], truncated: false };
  }
  const fixes: JsonFix[] = [];
  let body = text;

  const withoutThink = stripThinking(body);
  if (withoutThink !== body) {
    fixes.push('strip_think');
    body = withoutThink;
  }
  const fenced = findFence(body);
  if (fenced !== null) {
    fixes.push('strip_fence');
    body = fenced;
  }
  if (body.trim() === '') {
    return { ok: false, reason: 'empty', message: 'The model answered no JSON (the answer is empty).', fixes, truncated: false };
  }

  const candidates = rankCandidates(scanJsonCandidates(body), body, options.expect ?? null);
  if (candidates.length === 0) {
    return { ok: false, reason: 'no_json', message: 'The model\'s answer contains no JSON object or array.', fixes, truncated: false };
  }

  const merged = options.expect === 'array' ? mergeNdjson(candidates, body) : null;
  if (merged !== null) return finish(merged, [...fixes, 'merge_ndjson'], false, options);

  let lastTruncated = false;
  for (const candidate of candidates) {
    const spanFixes = [...fixes, ...surroundingFixes(body, candidate, candidates)];
    const span = body.slice(candidate.start, candidate.end);
    const parsed = parseSpan(span, candidate.closed);
    lastTruncated = !candidate.closed;
    if (parsed !== null) return finish(parsed.value, [...spanFixes, ...parsed.fixes], !candidate.closed, options);
  }
  return {
    ok: false,
    reason: 'unrepairable',
    message: 'The model\'s answer holds JSON that could not be repaired.',
    fixes,
    truncated: lastTruncated,
  };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function stripThinking(text: string): string {
  let stripped = text.replace(THINK_BLOCK, '');
  // DeepSeek-style templates open the block in the prompt, so the answer starts mid-thought.
  if (!/<(think|thinking|reasoning)>/i.test(stripped)) stripped = stripped.replace(ORPHAN_THINK_CLOSE, '');
  // An unclosed block runs to the end: the model was still thinking when it stopped.
  return stripped.replace(UNCLOSED_THINK, '');
}

/** The first fence tagged as JSON, else the first fence; an unterminated fence runs to the end. */
function findFence(text: string): string | null {
  let first: string | null = null;
  for (const match of text.matchAll(FENCE_OPENING)) {
    const language = (match[1] ?? '').toLowerCase();
    const content = fenceContent(text, match.index + match[0].length);
    if (language.startsWith('json')) return content;
    first ??= content;
  }
  return first;
}

/**
 * A fence's content runs to the next three backticks, but not to ones inside a JSON string: when
 * the content opens a bracket, the fence can only close after the bracket does.
 */
function fenceContent(text: string, start: number): string {
  let searchFrom = start;
  const opening = /\S/.exec(text.slice(start, start + 200));
  if (opening !== null && (opening[0] === '{' || opening[0] === '[')) {
    const close = findClosingBracket(text, start + opening.index);
    if (close !== -1) searchFrom = close + 1;
  }
  const end = text.indexOf('```', searchFrom);
  return text.slice(start, end === -1 ? text.length : end);
}

/** Citations dropped when something else is there; then the expected type, then the longest first. */
function rankCandidates(candidates: JsonCandidate[], text: string, expect: 'object' | 'array' | null): JsonCandidate[] {
  const isCitation = (candidate: JsonCandidate) => CITATION.test(text.slice(candidate.start, candidate.end));
  const substantive = candidates.filter((candidate) => !isCitation(candidate));
  const pool = substantive.length > 0 ? substantive : candidates;
  return [...pool].sort((left, right) => {
    if (expect !== null && (left.kind === expect) !== (right.kind === expect)) return left.kind === expect ? -1 : 1;
    return (right.end - right.start) - (left.end - left.start) || left.start - right.start;
  });
}

/**
 * What dropping the text around the chosen span counts as: other JSON values (a choice), prose,
 * citations, or several of these.
 */
function surroundingFixes(text: string, chosen: JsonCandidate, candidates: JsonCandidate[]): JsonFix[] {
  const others = candidates.filter((other) => other.end <= chosen.start || other.start >= chosen.end);
  let outside = '';
  let position = 0;
  for (const span of [...others, chosen].sort((left, right) => left.start - right.start)) {
    if (span.start < position) continue;
    outside += `${text.slice(position, span.start)} `;
    position = span.end;
  }
  outside += text.slice(position);
  const withoutCitations = outside.replace(CITATIONS, '');
  const fixes: JsonFix[] = [];
  if (others.length > 0) fixes.push('choose_candidate');
  if (withoutCitations.trim() !== '') fixes.push('strip_prose');
  if (withoutCitations !== outside) fixes.push('strip_citations');
  return fixes;
}

/** Objects separated only by whitespace or commas (JSON Lines), when the caller wants an array. */
function mergeNdjson(candidates: JsonCandidate[], text: string): unknown[] | null {
  const objects = candidates.filter((candidate) => candidate.kind === 'object' && candidate.closed).sort((left, right) => left.start - right.start);
  if (objects.length < 2 || candidates.some((candidate) => candidate.kind === 'array')) return null;
  const values: unknown[] = [];
  let previousEnd = objects[0]?.start ?? 0;
  for (const candidate of objects) {
    if (text.slice(previousEnd, candidate.start).replace(/[\s,]/g, '') !== '') return null;
    const parsed = parseSpan(text.slice(candidate.start, candidate.end), true);
    if (parsed === null) return null;
    values.push(parsed.value);
    previousEnd = candidate.end;
  }
  return values;
}

/** Strict parse, then NaN/Infinity to null, then jsonrepair; null when nothing gives an object or array. */
function parseSpan(span: string, closed: boolean): { value: unknown; fixes: JsonFix[] } | null {
  const strict = tryParse(span);
  if (strict.ok) return { value: strict.value, fixes: [] };
  const fixes: JsonFix[] = [];
  let source = span;
  const finite = replaceNonFiniteNumbers(source);
  if (finite !== null) {
    fixes.push('replace_non_finite');
    source = finite;
    const reparsed = tryParse(source);
    if (reparsed.ok) return { value: reparsed.value, fixes };
  }
  let repaired: string;
  try {
    repaired = jsonrepair(source);
  } catch (error) {
    if (error instanceof JSONRepairError) return null;
    throw error;
  }
  const value = tryParse(repaired);
  if (!value.ok || value.value === null || typeof value.value !== 'object') return null;
  fixes.push(closed ? 'repair' : 'repair_truncated');
  return { value: value.value, fixes };
}

function finish(value: unknown, fixes: JsonFix[], truncated: boolean, options: ExtractOptions): ExtractResult {
  if (options.citations === 'all') {
    const cleaned = removeInnerCitations(value);
    if (cleaned.changed) return { ok: true, value: cleaned.value, fixes: [...fixes, 'strip_inner_citations'], truncated };
  }
  return { ok: true, value, fixes, truncated };
}

function containsInnerCitation(value: unknown): boolean {
  return removeInnerCitations(value).changed;
}

function removeInnerCitations(value: unknown): { value: unknown; changed: boolean } {
  if (typeof value === 'string') {
    const cleaned = value.replace(INNER_CITATION, '');
    return { value: cleaned, changed: cleaned !== value };
  }
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const result = removeInnerCitations(item);
      changed ||= result.changed;
      return result.value;
    });
    return { value: items, changed };
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const result = removeInnerCitations(item);
      changed ||= result.changed;
      return [key, result.value] as const;
    });
    return { value: Object.fromEntries(entries), changed };
  }
  return { value, changed: false };
}
