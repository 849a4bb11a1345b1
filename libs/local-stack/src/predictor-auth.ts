import type { ProbeHeaders } from '@mlops/supervisor';

/** The headers of a probe of the predictor's health: its first bearer token (PREDICTOR_AUTH_TOKENS of `env`), if any. */
export function predictorProbeHeaders(env: NodeJS.ProcessEnv): ProbeHeaders {
  // PREDICTOR_AUTH_HEALTH=true makes its health routes answer 401 without one of these tokens; open routes ignore
  // the header, so it goes whenever tokens are set (no second reading of the flag to drift from the predictor's).
  // The token goes in the request only: probes log nothing, and no message names the headers.
  const token = (env.PREDICTOR_AUTH_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .find((t) => t !== '');
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}
