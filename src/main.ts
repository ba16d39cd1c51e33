import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig, ProviderConfig } from './config/index.js';
import type { GatewayEvent, Provider } from './core/index.js';
import { createApp } from './http/index.js';
import { EventBus } from './lib/index.js';
import { createLogger } from './observability/index.js';
import type { Logger } from './observability/index.js';
import { createMasterKeyAuthenticator } from './policies/index.js';
import { createAnthropicProvider, createGeminiProvider, createMockProvider, createOpenAIProvider } from './providers/index.js';
import { MemoryCircuitBreakerStore, ModelRegistry, buildDirectRoute, buildRoutes, summariseCircuits } from './routing/index.js';
import { loadOrCreateAdminKey, stateDirectory } from './storage/index.js';

export interface GatewayOptions {
  /** Where relative paths in the config resolve; defaults to the process's cwd. */
  cwd?: string;
  logger?: Logger;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly config: GatewayConfig;
  /** The key that opens everything: the master key, or the generated development admin key. */
  readonly adminKey: string;
  /** True when the admin key was generated (development without a master key). */
  readonly adminKeyGenerated: boolean;
  readonly events: EventBus<GatewayEvent>;
  readonly logger: Logger;
  /** Starts listening; resolves with the base URL. */
  listen(overrides?: { host?: string; port?: number }): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, then releases every resource. */
  close(): Promise<void>;
}

type ClosableProvider = Provider & { close?: () => Promise<void> };

/** The composition root: the only place that picks concrete implementations. */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const cwd = options.cwd ?? process.cwd();
  const logger = options.logger ?? createLogger({
    level: config.logging.level,
    pretty: config.logging.pretty ?? (config.environment === 'development' && process.stdout.isTTY === true),
  });
  const { key: adminKey, generated } = resolveAdminKey(config, cwd);
  const events = new EventBus<GatewayEvent>((error) => logger.error({ err: error }, 'event subscriber failed'));

  const providers = new Map<string, ClosableProvider>();
  for (const settings of config.providers) providers.set(settings.name, createProvider(settings));
  const breakers = new MemoryCircuitBreakerStore();
  const routes: Map<string, Provider> = buildRoutes(config.models, { providers, breakers, events });
  const models = new ModelRegistry({
    routes,
    providers,
    advertised: new Map(config.providers.map((provider) => [provider.name, provider.models])),
    allowDirectModels: config.allow_direct_models,
    directRoute: (provider, model) => buildDirectRoute(provider, model, { providers, breakers, events }),
  });

  const app = await createApp({
    server: {
      maxBodyBytes: config.server.max_body_bytes,
      trustProxy: config.server.trust_proxy,
      corsOrigins: config.server.cors_origins,
    },
    authenticator: createMasterKeyAuthenticator(adminKey),
    inference: { models, events },
    models,
    readiness: async () => ({
      ready: true,
      checks: {
        providers: summariseCircuits(config.providers.map((provider) => provider.name), await breakers.snapshot(Date.now())),
      },
    }),
    logger,
  });

  return {
    app,
    config,
    adminKey,
    adminKeyGenerated: generated,
    events,
    logger,
    async listen(overrides = {}) {
      return app.listen({ host: overrides.host ?? config.server.host, port: overrides.port ?? config.server.port });
    },
    async close() {
      await app.close();
      await Promise.all([...providers.values()].map((provider) => provider.close?.()));
      logger.flush();
    },
  };
}

function createProvider(settings: ProviderConfig): ClosableProvider {
  switch (settings.type) {
    case 'openai':
      return createOpenAIProvider({
        name: settings.name,
        baseUrl: settings.base_url ?? 'https://api.openai.com/v1',
        apiKey: settings.api_key,
        headers: settings.headers,
        timeoutMs: settings.timeout_ms,
        maxConnections: settings.max_connections,
      });
    case 'mock':
      return createMockProvider({ name: settings.name });
    case 'anthropic':
      return createAnthropicProvider({
        name: settings.name,
        baseUrl: settings.base_url ?? 'https://api.anthropic.com',
        apiKey: settings.api_key,
        headers: settings.headers,
        version: settings.anthropic_version,
        defaultMaxTokens: settings.default_max_tokens,
        timeoutMs: settings.timeout_ms,
        maxConnections: settings.max_connections,
      });
    case 'gemini':
      return createGeminiProvider({
        name: settings.name,
        baseUrl: settings.base_url ?? 'https://generativelanguage.googleapis.com',
        apiKey: settings.api_key,
        headers: settings.headers,
        timeoutMs: settings.timeout_ms,
        maxConnections: settings.max_connections,
      });
  }
}

function resolveAdminKey(config: GatewayConfig, cwd: string): { key: string; generated: boolean } {
  if (config.auth.master_key !== undefined) return { key: config.auth.master_key, generated: false };
  if (config.environment !== 'development') {
    throw new Error('auth.master_key is required unless environment is development');
  }
  const { key } = loadOrCreateAdminKey(join(stateDirectory(config.storage.database_url, cwd), 'admin-key'));
  return { key, generated: true };
}
