/**
 * The two OpenAI base URLs a client may be given: `/api/v1` (this API's own prefix) and `/v1` (what OpenAI clients and
 * SillyTavern's URL field suggest). Each is a complete base: models, one model, chat completions.
 */
export const OPENAI_BASES = [
  { base: '/api/v1', suffix: '' },
  { base: '/v1', suffix: 'AtV1' },
] as const;
