/** A span of text that may hold one JSON object or array. */
export interface JsonCandidate {
  start: number;
  /** Exclusive; the text's end when the span never closed. */
  end: number;
  kind: 'object' | 'array';
  /** False when the text ended before the brackets balanced (a cut-off answer). */
  closed: boolean;
}

/**
 * Finds top-level `{…}` and `[…]` spans in prose. Brackets inside strings and comments do not
 * count. Double-quoted strings always open a string; a single quote only where a JSON value or key
 * could start (after `{`, `[`, `,` or `:`), so an apostrophe in `// it's` or in prose does not.
 * When a span never closes, scanning goes on from just after its opening bracket: prose such as
 * "see [below" must not hide the object that follows it.
 */
export function scanJsonCandidates(text: string): JsonCandidate[] {
  const candidates: JsonCandidate[] = [];
  let index = 0;
  while (index < text.length) {
    const character = text[index];
    if (character !== '{' && character !== '[') {
      index++;
      continue;
    }
    const end = findClosingBracket(text, index);
    if (end === -1) {
      candidates.push({ start: index, end: text.length, kind: character === '{' ? 'object' : 'array', closed: false });
      index++;
    } else {
      candidates.push({ start: index, end: end + 1, kind: character === '{' ? 'object' : 'array', closed: true });
      index = end + 1;
    }
  }
  return candidates;
}

/** The index of the bracket that balances the one at `start`, or -1 when the text ends first. */
export function findClosingBracket(text: string, start: number): number {
  let depth = 0;
  let quote: '"' | "'" | null = null;
  let previousSignificant = '';
  for (let index = start; index < text.length; index++) {
    const character = text[index];
    if (quote !== null) {
      if (character === '\\') index++;
      else if (character === quote || (quote === "'" && character === '\n')) {
        quote = null;
        previousSignificant = '"';
      }
      continue;
    }
    if (character === '"') {
      quote = '"';
      continue;
    }
    if (character === "'" && '{[,:'.includes(previousSignificant)) {
      quote = "'";
      continue;
    }
    if (character === '/' && text[index + 1] === '/') {
      const newline = text.indexOf('\n', index);
      if (newline === -1) return -1;
      index = newline;
      continue;
    }
    if (character === '/' && text[index + 1] === '*') {
      const close = text.indexOf('*/', index + 2);
      if (close === -1) return -1;
      index = close + 1;
      continue;
    }
    if (character === '{' || character === '[') depth++;
    else if (character === '}' || character === ']') {
      depth--;
      if (depth === 0) return index;
    }
    if (character !== undefined && !/\s/.test(character)) previousSignificant = character;
  }
  return -1;
}

/**
 * Replaces bare `NaN`, `Infinity` and `-Infinity` outside strings with `null`: they are not JSON,
 * and the repair library would turn them into the strings "NaN" and "Infinity", which a number
 * field then rejects with a misleading message. Returns null when there were none.
 */
export function replaceNonFiniteNumbers(text: string): string | null {
  let output = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index++;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === '"') {
      inString = true;
      continue;
    }
    if (character !== 'N' && character !== 'I' && character !== '-') continue;
    const match = /^-?(?:NaN|Infinity)\b/.exec(text.slice(index, index + 10));
    if (match !== null && (index === 0 || !/[\w.]/.test(text[index - 1] ?? ''))) {
      output += `${text.slice(copiedUpTo, index)}null`;
      index += match[0].length - 1;
      copiedUpTo = index + 1;
    }
  }
  return copiedUpTo === 0 ? null : output + text.slice(copiedUpTo);
}
