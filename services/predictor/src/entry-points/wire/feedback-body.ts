import { FeedbackItemSchema, MAX_FEEDBACK_ITEMS } from '@mlops/contracts';
import { z } from 'zod';

/** One label as an HTTP client sends it: `feedback.received`'s, without `client` (the predictor sets that). */
const ClientLabelSchema = FeedbackItemSchema.omit({ client: true });

/**
 * The body of `POST /feedback`: one label or an array of them. Validates the requests and is the OpenAPI document's
 * `FeedbackRequest`, so the two cannot drift apart.
 */
export const FeedbackBodySchema = z
  .union([
    ClientLabelSchema,
    z
      .array(ClientLabelSchema)
      .min(1, 'an empty batch')
      .max(MAX_FEEDBACK_ITEMS, `at most ${MAX_FEEDBACK_ITEMS} labels per message`),
  ])
  .describe(
    'One label or an array of them (at most 10,000). With bearer tokens configured (PREDICTOR_AUTH_TOKENS), a label counts only for a prediction scored with the same token: the predictor adds the client id of the caller’s token (`client`, 16 hex characters of its SHA-256) to every label, and the monitor answers a prediction scored with another token exactly as an unknown id (404 when every label is refused so). A body that sets `client` itself is refused (400). Without tokens, a label joins any prediction.',
  );
