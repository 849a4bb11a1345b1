import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** The Compose Specification JSON Schema, vendored from compose-go (see vendor/README.md). */
export const COMPOSE_SCHEMA_FILE = fileURLToPath(new URL('../vendor/compose-spec.json', import.meta.url));

/** A validator against the vendored Compose Specification schema: one message per violation, none when valid. */
export function composeSchemaValidator(): (model: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strictTypes: false });
  const validate = ajv.compile(JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8')));
  return (model) => {
    if (validate(model)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`,
    );
  };
}
