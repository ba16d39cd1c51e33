/**
 * Finds the text of a completion's top-level `"usage"` value without parsing the whole body, so a
 * pass-through answer is read once (by the client), not twice. Scans from the end, where OpenAI
 * and compatible servers write usage; a `"usage"` inside a string is escaped (`\"usage\"`) and so
 * never matches. Returns null when there is none, `undefined` when the text does not look like a
 * JSON object at all (the caller then parses it properly to report the problem).
 */
export function scanUsageText(body: string): string | null | undefined {
  const start = skipSpace(body, 0);
  let end = body.length - 1;
  while (end >= 0 && isSpace(body.charCodeAt(end))) end -= 1;
  if (body[start] !== '{' || body[end] !== '}') return undefined;
  // A completion without choices is not one, whatever its usage says.
  if (body[valueAfterKey(body, 'choices', start, end)] !== '[') return undefined;
  const value = valueAfterKey(body, 'usage', start, end);
  if (value === -1 || body.startsWith('null', value)) return null;
  if (body[value] !== '{') return undefined;
  const close = matchingBrace(body, value);
  return close === -1 ? undefined : body.slice(value, close + 1);
}

/** Where the value of the last unescaped `"key":` between `start` and `end` begins; -1 if none. */
function valueAfterKey(body: string, key: string, start: number, end: number): number {
  const quoted = `"${key}"`;
  let index = body.lastIndexOf(quoted, end);
  while (index > start) {
    if (body[index - 1] !== '\\') {
      const colon = skipSpace(body, index + quoted.length);
      if (body[colon] === ':') return skipSpace(body, colon + 1);
    }
    index = body.lastIndexOf(quoted, index - 1);
  }
  return -1;
}

/** The index of the `}` closing the object that opens at `open`, skipping strings; -1 if none. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let index = open; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index += 1; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b) depth += 1;
    else if (code === 0x7d && --depth === 0) return index;
  }
  return -1;
}

function skipSpace(text: string, from: number): number {
  let index = from;
  while (index < text.length && isSpace(text.charCodeAt(index))) index += 1;
  return index;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}
