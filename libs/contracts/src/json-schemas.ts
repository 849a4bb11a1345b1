import { z } from 'zod';
import { EVENT_MAP, REQUEST_MAP } from './event-map.js';
import { SUBJECTS } from './subjects.js';

/** The schema of each subject's payload (and of the tune reply), for codegen and documentation. */
export const MESSAGE_SCHEMAS = {
  [SUBJECTS.tuneRequested]: REQUEST_MAP[SUBJECTS.tuneRequested].request,
  ...Object.fromEntries(Object.entries(EVENT_MAP).map(([subject, event]) => [subject, event.schema])),
  'tune.reply': REQUEST_MAP[SUBJECTS.tuneRequested].reply,
  [SUBJECTS.registryModels]: REQUEST_MAP[SUBJECTS.registryModels].request,
  'registry.models.reply': REQUEST_MAP[SUBJECTS.registryModels].reply,
  [SUBJECTS.registryPromote]: REQUEST_MAP[SUBJECTS.registryPromote].request,
  [SUBJECTS.registryRollback]: REQUEST_MAP[SUBJECTS.registryRollback].request,
  'registry.move.reply': REQUEST_MAP[SUBJECTS.registryPromote].reply,
  [SUBJECTS.feedbackReceived]: REQUEST_MAP[SUBJECTS.feedbackReceived].request,
  'feedback.reply': REQUEST_MAP[SUBJECTS.feedbackReceived].reply,
  [SUBJECTS.monitorStatus]: REQUEST_MAP[SUBJECTS.monitorStatus].request,
  'monitor.status.reply': REQUEST_MAP[SUBJECTS.monitorStatus].reply,
  [SUBJECTS.monitorRetrain]: REQUEST_MAP[SUBJECTS.monitorRetrain].request,
  'monitor.retrain.reply': REQUEST_MAP[SUBJECTS.monitorRetrain].reply,
  [SUBJECTS.monitorHistory]: REQUEST_MAP[SUBJECTS.monitorHistory].request,
  'monitor.history.reply': REQUEST_MAP[SUBJECTS.monitorHistory].reply,
} as Readonly<Record<string, z.ZodType>>;

/** JSON Schemas (draft 2020-12) generated from the zod schemas, keyed by subject; inputs as publishers write them. */
export function jsonSchemas(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(MESSAGE_SCHEMAS).map(([subject, schema]) => [
      subject,
      z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    ]),
  );
}
