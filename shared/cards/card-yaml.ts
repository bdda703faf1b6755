/**
 * YAML cards: text-generation-webui character files (`name`, `context` → description, `greeting` → first_mes,
 * `example_dialogue` → mes_example; other keys kept in `topLevelExtras`), and any other card dialect written as YAML
 * (a V2/V3 card, Pygmalion fields). Parsed with the `yaml` package's core schema, one document only, with an alias
 * budget (billion-laughs guard) and the JSON depth/size limits.
 */
import { parseDocument } from 'yaml';
import { CardFailure, fail } from './card-errors.ts';
import { canonicalizeCardObject, checkCardDocumentSize, type CanonicalizedCard, type CardBuildContext } from './card-json.ts';
import { assertJsonShape } from './json-value.ts';
import { checkUploadSize, createParseContext } from './parse-context.ts';
import { runParser, type CardParseOptions, type CardParseResult } from './parse-result.ts';
import { decodeUtf8 } from './text-decode.ts';

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}

export function parseYamlDocument(text: string, ctx: CardBuildContext): unknown {
  const { limits } = ctx;
  let value: unknown;
  try {
    const doc = parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
    const error = doc.errors[0];
    if (error) return fail('invalid_yaml', `the YAML is invalid: ${firstLine(error.message)}`);
    for (const warning of doc.warnings.slice(0, 5)) ctx.warnings.push(`YAML: ${firstLine(warning.message)}`);
    value = doc.toJS({ maxAliasCount: limits.maxYamlAliasCount });
  } catch (error) {
    if (error instanceof CardFailure) throw error;
    if (error instanceof Error && /excessive alias/i.test(error.message)) {
      return fail('yaml_too_complex', `the YAML expands aliases beyond the limit of ${limits.maxYamlAliasCount}`);
    }
    if (error instanceof RangeError) return fail('json_too_deep', 'the YAML is nested too deeply to parse');
    return fail('invalid_yaml', `the YAML is invalid: ${firstLine(error instanceof Error ? error.message : String(error))}`);
  }
  assertJsonShape(value, limits, 'the YAML document', 'invalid_yaml');
  return value;
}

export function parseYamlCardText(text: string, ctx: CardBuildContext): CanonicalizedCard {
  const value = parseYamlDocument(text, ctx);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail('invalid_card', 'the YAML document must be a mapping of card fields');
  }
  return canonicalizeCardObject(value, ctx);
}

export function parseYamlCard(bytes: Uint8Array, options: CardParseOptions = {}): CardParseResult {
  return runParser(() => {
    const ctx = createParseContext(options);
    checkUploadSize(bytes, ctx);
    checkCardDocumentSize(bytes.length, ctx.limits, 'the YAML file');
    const { card, source } = parseYamlCardText(decodeUtf8(bytes, 'the YAML file'), ctx);
    return { ok: true, card, assets: [], sourceFormat: 'yaml', source, warnings: ctx.warnings };
  });
}
