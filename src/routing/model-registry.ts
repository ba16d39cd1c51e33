import type { Provider } from '../core/index.js';
import { LruCache } from '../lib/index.js';
import { withTarget } from './with-target.js';

export interface ModelInfo {
  id: string;
  ownedBy: string;
}

export interface ModelRegistrySettings {
  /** Public model name → its composed route. */
  routes: ReadonlyMap<string, Provider>;
  providers: ReadonlyMap<string, Provider>;
  /** Upstream models each provider advertises as `provider/model` in the models list. */
  advertised: ReadonlyMap<string, readonly string[]>;
  allowDirectModels: boolean;
  /** Each public model's targets in order (for answers that need one upstream, such as token counts). */
  targets?: ReadonlyMap<string, ReadonlyArray<{ provider: string; model: string }>> | undefined;
  /** Builds the route for a directly addressed `provider/model`; a bare target when absent. */
  directRoute?: ((provider: string, model: string) => Provider) | undefined;
}

const DIRECT_CACHE_LIMIT = 1000;

/** Finds the route for a public model name, or for `provider/model` when direct addressing is on. */
export class ModelRegistry {
  private readonly settings: ModelRegistrySettings;
  // Keyed by what clients send: bounded, the least recently used direct route rebuilt on demand.
  private readonly directRoutes = new LruCache<string, Provider>(DIRECT_CACHE_LIMIT);

  constructor(settings: ModelRegistrySettings) {
    this.settings = settings;
  }

  resolve(model: string): Provider | null {
    const route = this.settings.routes.get(model);
    if (route !== undefined) return route;
    if (!this.settings.allowDirectModels) return null;
    return this.resolveDirect(model);
  }

  /** The first target a model routes to (the upstream that would normally answer), or null. */
  firstTarget(model: string): { provider: Provider; model: string } | null {
    const configured = this.settings.targets?.get(model)?.[0];
    if (configured !== undefined) {
      const provider = this.settings.providers.get(configured.provider);
      return provider === undefined ? null : { provider, model: configured.model };
    }
    if (this.settings.routes.has(model) || !this.settings.allowDirectModels) return null;
    const slash = model.indexOf('/');
    const provider = slash > 0 ? this.settings.providers.get(model.slice(0, slash)) : undefined;
    return provider === undefined || slash === model.length - 1 ? null : { provider, model: model.slice(slash + 1) };
  }

  list(): ModelInfo[] {
    const models: ModelInfo[] = [];
    for (const name of this.settings.routes.keys()) models.push({ id: name, ownedBy: 'sluice' });
    if (this.settings.allowDirectModels) {
      for (const [provider, ids] of this.settings.advertised) {
        for (const id of ids) {
          const name = `${provider}/${id}`;
          if (!this.settings.routes.has(name)) models.push({ id: name, ownedBy: provider });
        }
      }
    }
    return models;
  }

  private resolveDirect(model: string): Provider | null {
    const cached = this.directRoutes.get(model);
    if (cached !== undefined) return cached;
    const slash = model.indexOf('/');
    if (slash <= 0 || slash === model.length - 1) return null;
    const provider = this.settings.providers.get(model.slice(0, slash));
    if (provider === undefined) return null;
    const providerName = model.slice(0, slash);
    const upstreamModel = model.slice(slash + 1);
    const route = this.settings.directRoute?.(providerName, upstreamModel) ?? withTarget({ provider, model: upstreamModel });
    this.directRoutes.set(model, route);
    return route;
  }
}
