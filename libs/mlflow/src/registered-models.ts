import { isNotFound } from './errors.js';
import type { Transport } from './http.js';
import { findOrCreate } from './keyed-create.js';
import { type RegisteredModel, registeredModelFromWire, type WireRegisteredModel } from './registry-types.js';
import { recordToWire } from './wire.js';

/** Input of `createRegisteredModel`. */
export interface CreateRegisteredModelInput {
  readonly name: string;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Registered model calls. */
export interface RegisteredModelsApi {
  /** Not idempotent (not re-sent once sent): a taken name → MlflowApiError RESOURCE_ALREADY_EXISTS. */
  createRegisteredModel(input: CreateRegisteredModelInput): Promise<RegisteredModel>;
  /** Find-or-create by name, retried safely; an existing model keeps its description and tags. */
  getOrCreateRegisteredModel(input: CreateRegisteredModelInput): Promise<RegisteredModel>;
  /** The model, or null when none has this name. */
  getRegisteredModel(name: string): Promise<RegisteredModel | null>;
  /** Idempotent (overwrites). */
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>;
  /** Hard delete with all versions and aliases; RESOURCE_DOES_NOT_EXIST when missing, so not re-sent once sent. */
  deleteRegisteredModel(name: string): Promise<void>;
}

type Answer = { registered_model: WireRegisteredModel };

/** Builds the registered model calls on a transport. */
export function registeredModelsApi(http: Transport): RegisteredModelsApi {
  const getRegisteredModel: RegisteredModelsApi['getRegisteredModel'] = async (name) => {
    try {
      const answer = await http.api<Answer>('read', 'GET', 'registered-models/get', { name });
      return registeredModelFromWire(answer.registered_model);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  };
  return {
    async createRegisteredModel(input) {
      const answer = await http.api<Answer>('non-idempotent', 'POST', 'registered-models/create', createBody(input));
      return registeredModelFromWire(answer.registered_model);
    },
    getOrCreateRegisteredModel: (input) =>
      findOrCreate(
        http,
        { endpoint: 'registered-models/create', payload: createBody(input) },
        () => getRegisteredModel(input.name),
        (answer: Answer) => registeredModelFromWire(answer.registered_model),
      ),
    getRegisteredModel,
    async setRegisteredModelTag(name, key, value) {
      await http.api('idempotent-write', 'POST', 'registered-models/set-tag', { name, key, value });
    },
    async deleteRegisteredModel(name) {
      await http.api('non-idempotent', 'DELETE', 'registered-models/delete', { name });
    },
  };
}

function createBody(input: CreateRegisteredModelInput): object {
  return { name: input.name, description: input.description, tags: recordToWire(input.tags) };
}
