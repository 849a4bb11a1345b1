import { z } from 'zod';
import {
  ModelLoadFailedSchema,
  ModelRegisteredSchema,
  RunCompletedSchema,
  RunFailedSchema,
  RunStartedSchema,
  TuneRejectedSchema,
  TuningCompletedSchema,
  TuningRequestedSchema,
  TuningStartedSchema,
} from './events.js';
import { TuneReplySchema } from './replies.js';
import { SUBJECTS } from './subjects.js';
import { TuneRequestSchema } from './tune-request.js';

/** The schema of each subject's payload (and of the tune reply), for codegen and documentation. */
export const MESSAGE_SCHEMAS = {
  [SUBJECTS.tuneRequested]: TuneRequestSchema,
  [SUBJECTS.tuneRejected]: TuneRejectedSchema,
  [SUBJECTS.tuningRequested]: TuningRequestedSchema,
  [SUBJECTS.tuningStarted]: TuningStartedSchema,
  [SUBJECTS.runStarted]: RunStartedSchema,
  [SUBJECTS.runCompleted]: RunCompletedSchema,
  [SUBJECTS.runFailed]: RunFailedSchema,
  [SUBJECTS.tuningCompleted]: TuningCompletedSchema,
  [SUBJECTS.modelRegistered]: ModelRegisteredSchema,
  [SUBJECTS.modelLoadFailed]: ModelLoadFailedSchema,
  'tune.reply': TuneReplySchema,
} as const;

/** JSON Schemas (draft 2020-12) generated from the zod schemas, keyed by subject; inputs as publishers write them. */
export function jsonSchemas(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(MESSAGE_SCHEMAS).map(([subject, schema]) => [
      subject,
      z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    ]),
  );
}
