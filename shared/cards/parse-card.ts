/**
 * The import entry point: detects the format from the bytes (reconciled with the declared file name / content type)
 * and runs the matching parser. Never throws: every problem is a `{ ok: false, error: { status, code, detail } }`.
 */
import { parseCardJsonBytes } from './card-json.ts';
import { parseMarkdownCard, parsePlainTextCard } from './card-text.ts';
import { parseYamlCard } from './card-yaml.ts';
import { parseCharxCard } from './charx.ts';
import { resolveCardFormat } from './detect-format.ts';
import { parseJpegCard, parsePngCard, parseWebpCard } from './image-card.ts';
import { checkUploadSize, createParseContext } from './parse-context.ts';
import { runParser, type CardParseOptions, type CardParseResult } from './parse-result.ts';

export function parseJsonCard(bytes: Uint8Array, options: CardParseOptions = {}): CardParseResult {
  return runParser(() => {
    const ctx = createParseContext(options);
    checkUploadSize(bytes, ctx);
    const { card, source } = parseCardJsonBytes(bytes, ctx, 'the JSON file');
    return { ok: true, card, assets: [], sourceFormat: 'json', source, warnings: ctx.warnings };
  });
}

export function parseCard(bytes: Uint8Array, options: CardParseOptions = {}): CardParseResult {
  return runParser(() => {
    checkUploadSize(bytes, createParseContext(options));
    switch (resolveCardFormat(bytes, options.filename, options.contentType)) {
      case 'png':
        return parsePngCard(bytes, options);
      case 'webp':
        return parseWebpCard(bytes, options);
      case 'jpeg':
        return parseJpegCard(bytes, options);
      case 'charx':
        return parseCharxCard(bytes, options);
      case 'json':
        return parseJsonCard(bytes, options);
      case 'yaml':
        return parseYamlCard(bytes, options);
      case 'markdown':
        return parseMarkdownCard(bytes, options);
      case 'text':
        return parsePlainTextCard(bytes, options);
    }
  });
}
