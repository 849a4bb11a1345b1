import { z } from 'zod';

/** The reply to a tune request that carried a reply subject: accepted with its id, or rejected with every error. */
export const TuneReplySchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('accepted'), tuning_id: z.string(), trial_count: z.number().int().min(1) }),
  z.object({
    status: z.literal('rejected'),
    tuning_id: z.string().nullable(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).min(1),
  }),
]);

/** See {@link TuneReplySchema}. */
export type TuneReply = z.infer<typeof TuneReplySchema>;
