/** Path every target serves chat completions on. */
export const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';

/** Master key written into the gateway's bench config. */
export const GATEWAY_MASTER_KEY = 'sk-bench-master-key-for-production-mode-0123456789';

const chatRequest = {
  model: 'bench',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello to the benchmark in a few words please.' },
  ],
  max_tokens: 64,
};

/**
 * The two request bodies sent to every target (about 230 bytes each). The model name stays
 * `bench` for the bare proxy and the direct mock too: they ignore it.
 */
export const requestFixtures = {
  plain: JSON.stringify(chatRequest),
  stream: JSON.stringify({ ...chatRequest, stream: true }),
} as const;

/** Headers every benchmark request carries, before the target's own headers. */
export const baseRequestHeaders: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
};

/** One kind of request aimed at one target. */
export interface BenchRequest {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  path: string;
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** The chat-completion request (plain or streaming) for a target with the given headers. */
export function chatRequestFor(origin: string, targetHeaders: Readonly<Record<string, string>>, streaming: boolean): BenchRequest {
  return {
    origin,
    path: CHAT_COMPLETIONS_PATH,
    headers: { ...baseRequestHeaders, ...targetHeaders },
    body: streaming ? requestFixtures.stream : requestFixtures.plain,
  };
}
