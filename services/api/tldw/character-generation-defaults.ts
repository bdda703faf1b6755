/**
 * The original's sampling defaults for a chat's completions: the card's `extensions.tldw.generation`, with its
 * aliases (`topP`, `repetitionPenalty`, `stopSequences`; numbers may be strings, stop sequences a `;`-separated
 * string), overridden by the chat settings' `chatGenerationOverride` (or `generationOverrides`) while it is
 * enabled. A completion request's own value wins over both.
 */
export interface GenerationDefaults {
  temperature?: number;
  top_p?: number;
  repetition_penalty?: number;
  stop?: string[];
}

/** As many stop sequences as a completion request may carry. */
const MAX_STOP_SEQUENCES = 4;

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function numberOf(...values: unknown[]): number | undefined {
  for (const value of values) {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n === 'number' && Number.isFinite(n)) return n;
  }
  return undefined;
}

function stopOf(...values: unknown[]): string[] | undefined {
  for (const value of values) {
    if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string' && s !== '');
    if (typeof value === 'string' && value.trim() !== '')
      return value
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean);
  }
  return undefined;
}

/** The sampling a `{temperature, top_p, repetition_penalty, stop}` map (with the original's aliases) gives. */
function samplingOf(g: Record<string, unknown>): GenerationDefaults {
  const defaults: GenerationDefaults = {};
  const temperature = numberOf(g.temperature);
  const topP = numberOf(g.top_p, g.topP);
  const penalty = numberOf(g.repetition_penalty, g.repetitionPenalty);
  const stop = stopOf(g.stop, g.stopSequences);
  // A stored value outside what a request may give is left out rather than failing every completion of the character.
  if (temperature !== undefined && temperature >= 0 && temperature <= 2) defaults.temperature = temperature;
  if (topP !== undefined && topP >= 0 && topP <= 1) defaults.top_p = topP;
  if (penalty !== undefined && penalty >= 0 && penalty <= 3) defaults.repetition_penalty = penalty;
  if (stop !== undefined && stop.length > 0) defaults.stop = stop.slice(0, MAX_STOP_SEQUENCES);
  return defaults;
}

export function generationDefaultsOf(extensions: Record<string, unknown>, chatSettings: Record<string, unknown> = {}): GenerationDefaults {
  const tldw = isMap(extensions.tldw) ? extensions.tldw : {};
  const override = [chatSettings.chatGenerationOverride, chatSettings.generationOverrides].find(isMap);
  const fromChat = override && override.enabled !== false ? samplingOf(override) : {};
  return { ...samplingOf(isMap(tldw.generation) ? tldw.generation : {}), ...fromChat };
}
