import { isAlreadyExists, isNotFound } from './errors.js';
import type { Transport } from './http.js';
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
  /** Not idempotent: a taken name → MlflowApiError RESOURCE_ALREADY_EXISTS (use `getOrCreateRegisteredModel`). */
  createRegisteredModel(input: CreateRegisteredModelInput): Promise<RegisteredModel>;
  /** Creates, or returns the existing one on already-exists (description and tags then stay as they are). */
  getOrCreateRegisteredModel(input: CreateRegisteredModelInput): Promise<RegisteredModel>;
  /** The model, or null when none has this name. */
  getRegisteredModel(name: string): Promise<RegisteredModel | null>;
  /** Idempotent (overwrites). */
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>;
  /** Hard delete with all versions and aliases; MlflowApiError RESOURCE_DOES_NOT_EXIST when missing. */
  deleteRegisteredModel(name: string): Promise<void>;
}

/** Builds the registered model calls on a transport. */
export function registeredModelsApi(http: Transport): RegisteredModelsApi {
  const createRegisteredModel: RegisteredModelsApi['createRegisteredModel'] = async (input) => {
    const answer = await http.api<{ registered_model: WireRegisteredModel }>('POST', 'registered-models/create', {
      name: input.name,
      description: input.description,
      tags: recordToWire(input.tags),
    });
    return registeredModelFromWire(answer.registered_model);
  };
  const getRegisteredModel: RegisteredModelsApi['getRegisteredModel'] = async (name) => {
    try {
      const answer = await http.api<{ registered_model: WireRegisteredModel }>('GET', 'registered-models/get', {
        name,
      });
      return registeredModelFromWire(answer.registered_model);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  };
  return {
    createRegisteredModel,
    async getOrCreateRegisteredModel(input) {
      try {
        return await createRegisteredModel(input);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = await getRegisteredModel(input.name);
        if (existing === null) throw err;
        return existing;
      }
    },
    getRegisteredModel,
    async setRegisteredModelTag(name, key, value) {
      await http.api('POST', 'registered-models/set-tag', { name, key, value });
    },
    async deleteRegisteredModel(name) {
      await http.api('DELETE', 'registered-models/delete', { name });
    },
  };
}
