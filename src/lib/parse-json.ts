/** JSON.parse that answers undefined instead of throwing, for text from outside. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The bounded text of a non-JSON error body, or a stand-in naming the status for empty or HTML bodies. */
export function describeErrorText(status: number, text: string): string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('<')) return `upstream status ${status}`;
  return trimmed.slice(0, 500);
}
