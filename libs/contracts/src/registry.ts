import { z } from 'zod';
import { DEFAULT_MODEL_NAME, RegisteredModelNameSchema, SELECTION_METRICS } from './tune-request.js';

const modelName = RegisteredModelNameSchema.default(DEFAULT_MODEL_NAME);
const versionNumber = z.string().regex(/^[1-9]\d{0,9}$/, 'a version number such as "3"');
const reasonText = z.string().trim().min(1).max(500);
const requester = z.string().trim().min(1).max(200).default('unknown');
/** Sent again with the same id (a retry after a lost answer), a move is answered from what it did, not made twice. */
const requestId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "-" or "_", at most 64')
  .optional();

/** `registry.models`: list a registered model's versions with metric, gate verdict, aliases and tuning. */
export const ListModelsRequestSchema = z.strictObject({
  name: modelName,
  limit: z.number().int().min(1).max(200).default(20),
});

/** `registry.promote`: move `champion` to any version of the model (a rejected one too), saying who and why. */
export const PromoteRequestSchema = z.strictObject({
  name: modelName,
  version: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), versionNumber),
  reason: reasonText,
  by: requester,
  request_id: requestId,
});

/** `registry.rollback`: move `champion` back to the champion before it (the promotion history says which). */
export const RollbackRequestSchema = z.strictObject({
  name: modelName,
  reason: reasonText.default('rollback'),
  by: requester,
  request_id: requestId,
});

const refusal = z.object({
  status: z.literal('rejected'),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).min(1),
});

/** One version as `mlops models` shows it. */
export const ModelVersionSummarySchema = z.object({
  version: z.string(),
  created_at: z.string(),
  aliases: z.array(z.string()),
  metric: z.object({ name: z.enum(SELECTION_METRICS), value: z.number() }).nullable(),
  gate_status: z.string().nullable(),
  gate_reason: z.string().nullable(),
  tuning_id: z.string().nullable(),
});

/** The answer to `registry.models`. */
export const ListModelsReplySchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('ok'),
    name: z.string(),
    champion: z.string().nullable(),
    versions: z.array(ModelVersionSummarySchema),
  }),
  refusal,
]);

/** The answer to `registry.promote` and `registry.rollback`: where champion points now and where it pointed. */
export const ChampionMoveReplySchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('ok'),
    name: z.string(),
    version: z.string(),
    previous_version: z.string().nullable(),
    /** Set when the request id was seen before: when that move was made, and where champion points now. */
    repeat_of: z.object({ made_at: z.string(), champion: z.string().nullable() }).optional(),
  }),
  refusal,
]);

/** See {@link ListModelsReplySchema}. */
export type ListModelsReply = z.output<typeof ListModelsReplySchema>;
/** See {@link ChampionMoveReplySchema}. */
export type ChampionMoveReply = z.output<typeof ChampionMoveReplySchema>;
/** See {@link ModelVersionSummarySchema}. */
export type ModelVersionSummary = z.output<typeof ModelVersionSummarySchema>;
