/**
 * What `GET /v1/models` answers: the configured providers' models, read from each provider's own list (cached; the
 * configured models when the list cannot be read), then every live character of the caller as a model
 * (`character:<slug>-<short id>`, see character-models.ts). Providers come first in the list.
 *
 * A provider that accepts only its configured models lists those and is not asked. The first provider to list an
 * id (the default provider first) is the one a completion naming that id goes to.
 */
import type { ProviderRegistry, ProviderSummary } from '../../infra/llm/index.ts';
import type { Logger } from '../../infra/logger.ts';
import { createCharacterQueries, type CharacterQueries, type CharacterRow } from '../../queries/characters-queries.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { isCharacterModel, modelNotFound, readableCharacterModelIds, resolveCharacterModel } from './character-models.ts';

/** How long a provider's list is reused, and how long a failure to read it is (then the configured models stand in). */
export const PROVIDER_MODELS_TTL_MS = 5 * 60_000;
export const PROVIDER_MODELS_RETRY_MS = 30_000;
const CHARACTER_PAGE = 500;

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** A name a person can read (characters; Anthropic's display names). */
  name?: string;
}

interface CachedList {
  expires: number;
  models: Promise<ModelObject[]>;
}

export interface ModelCatalogueDeps {
  providers: Pick<ProviderRegistry, 'configured' | 'list' | 'provider'>;
  characters: Pick<CharacterQueries, 'get' | 'list' | 'withIdEnding'>;
  log?: Pick<Logger, 'warn'>;
  now?: () => number;
}

export function createModelCatalogue(deps: ModelCatalogueDeps) {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, CachedList>();
  /** Which provider listed an id (from the lists read so far). */
  const listedBy = new Map<string, string>();

  const configured = (p: ProviderSummary): ModelObject[] => {
    const ids = [...(p.defaultModel ? [p.defaultModel] : []), ...p.models.map((m) => m.id)];
    return [...new Set(ids)].map((id) => ({ id, object: 'model', created: 0, owned_by: p.name }));
  };

  const read = async (p: ProviderSummary): Promise<{ models: ModelObject[]; ok: boolean }> => {
    const adapter = deps.providers.provider(p.name);
    if (!p.allowUnlistedModels || !adapter) return { models: configured(p), ok: true };
    try {
      const listed = (await adapter.listModels()).map((m): ModelObject => ({
        id: m.id,
        object: 'model',
        created: m.created ?? 0,
        owned_by: p.name,
        ...(m.name ? { name: m.name } : {}),
      }));
      const ids = new Set(listed.map((m) => m.id));
      return { models: [...configured(p).filter((m) => !ids.has(m.id)), ...listed], ok: true };
    } catch (err) {
      deps.log?.warn({ err, provider: p.name }, 'the provider model list could not be read; listing the configured models');
      return { models: configured(p), ok: false };
    }
  };

  const modelsOf = (p: ProviderSummary): Promise<ModelObject[]> => {
    const cached = cache.get(p.name);
    if (cached && cached.expires > now()) return cached.models;
    const entry: CachedList = { expires: Number.POSITIVE_INFINITY, models: Promise.resolve([]) };
    entry.models = read(p).then(({ models, ok }) => {
      entry.expires = now() + (ok ? PROVIDER_MODELS_TTL_MS : PROVIDER_MODELS_RETRY_MS);
      return models;
    });
    cache.set(p.name, entry);
    return entry.models;
  };

  async function providerModels(): Promise<ModelObject[]> {
    if (!deps.providers.configured) return [];
    const providers = [...deps.providers.list()].sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
    const lists = await Promise.all(providers.map(modelsOf));
    const seen = new Set<string>();
    const out: ModelObject[] = [];
    for (const list of lists)
      for (const model of list) {
        if (seen.has(model.id) || isCharacterModel(model.id)) continue;
        seen.add(model.id);
        listedBy.set(model.id, model.owned_by);
        out.push(model);
      }
    return out;
  }

  /** The caller's live characters, each under its readable id (unique among them), with its name. */
  async function characterModels(actor: Pick<Actor, 'userId'>): Promise<Array<ModelObject & { characterId: string }>> {
    const rows: CharacterRow[] = [];
    for (let offset = 0; ; offset += CHARACTER_PAGE) {
      const page = await deps.characters.list(actor.userId, { limit: CHARACTER_PAGE, offset, sort: 'name' });
      rows.push(...page.items);
      if (page.items.length < CHARACTER_PAGE) break;
    }
    const ids = readableCharacterModelIds(rows);
    return rows.map((c) => ({
      id: ids.get(c.id)!,
      object: 'model',
      created: Math.floor(c.created_at.getTime() / 1000),
      owned_by: 'character',
      name: c.name,
      characterId: c.id,
    }));
  }

  return {
    /** Every model the caller can name: the providers' models, then the caller's characters. */
    async list(actor: Pick<Actor, 'userId'>): Promise<ModelObject[]> {
      const [models, characters] = await Promise.all([providerModels(), characterModels(actor)]);
      return [...models, ...characters.map(({ characterId: _, ...model }) => model)];
    },
    /** One model by id (a character by its readable or its full id, answered under its readable one); 404 `model_not_found` when the caller cannot name it. */
    async get(actor: Pick<Actor, 'userId'>, id: string): Promise<ModelObject> {
      if (isCharacterModel(id)) {
        const { character } = await resolveCharacterModel(id, actor, deps.characters);
        const listed = (await characterModels(actor)).find((m) => m.characterId === character.id);
        if (!listed) throw modelNotFound(id);
        const { characterId: _, ...model } = listed;
        return model;
      }
      const found = (await providerModels()).find((m) => m.id === id);
      if (!found) throw modelNotFound(id);
      return found;
    },
    /** The provider whose list names this model, from the lists read so far (no provider is asked). */
    providerOf(model: string): string | undefined {
      return listedBy.get(model);
    },
  };
}

export type ModelCatalogue = ReturnType<typeof createModelCatalogue>;

const catalogues = new WeakMap<object, ModelCatalogue>();

/** One catalogue (one cache of the providers' lists) per set of configured providers. */
export function modelCatalogueFor(deps: {
  completions: { providers: ModelCatalogueDeps['providers'] };
  db: import('kysely').Kysely<import('../../infra/db/read-model-types.ts').ReadModels>;
  readSchema: string;
  logger?: Pick<Logger, 'warn'>;
}): ModelCatalogue {
  const key = deps.completions.providers;
  let catalogue = catalogues.get(key);
  if (!catalogue) {
    catalogue = createModelCatalogue({
      providers: key,
      characters: createCharacterQueries(deps.db, deps.readSchema),
      ...(deps.logger ? { log: deps.logger } : {}),
    });
    catalogues.set(key, catalogue);
  }
  return catalogue;
}
