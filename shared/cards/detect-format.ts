/**
 * Format detection from magic bytes, and its reconciliation with what the upload declares (file extension, or the
 * content type when the name has no extension). Binary formats must match exactly (PNG ⇄ APNG are the same
 * container); the text formats (JSON, YAML, Markdown, plain text) are interchangeable at this level — a .yaml file
 * is parsed as YAML whatever it looks like — but a text extension on binary content (or the reverse) is a mismatch.
 */
import { fail } from './card-errors.ts';
import { filenameExtension } from './file-name.ts';
import { hasJpegSignature } from './jpeg.ts';
import { hasPngSignature } from './png-chunks.ts';
import { hasUtf16Bom } from './text-decode.ts';
import { hasWebpSignature } from './webp.ts';
import { hasZipSignature } from './zip-reader.ts';

export type DetectedFormat = 'png' | 'apng' | 'webp' | 'jpeg' | 'gif' | 'zip' | 'json' | 'yaml' | 'markdown' | 'text' | 'binary';

export type DeclaredFormat = 'png' | 'webp' | 'jpeg' | 'gif' | 'charx' | 'json' | 'yaml' | 'markdown' | 'text';

/** The parser a file goes to. */
export type CardFileFormat = 'png' | 'webp' | 'jpeg' | 'charx' | 'json' | 'yaml' | 'markdown' | 'text';

export interface DeclaredType {
  format: DeclaredFormat;
  /** Human description of where the declaration came from, e.g. `extension ".png"`. */
  from: string;
}

const EXTENSIONS: Record<string, DeclaredFormat> = {
  png: 'png',
  apng: 'png',
  webp: 'webp',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  jfif: 'jpeg',
  gif: 'gif',
  charx: 'charx',
  zip: 'charx',
  json: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  md: 'markdown',
  markdown: 'markdown',
  txt: 'text',
  text: 'text',
};

export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(EXTENSIONS).filter((e) => e !== 'gif');

const CONTENT_TYPES: Record<string, DeclaredFormat> = {
  'image/png': 'png',
  'image/apng': 'png',
  'image/x-png': 'png',
  'image/webp': 'webp',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/pjpeg': 'jpeg',
  'image/gif': 'gif',
  'application/zip': 'charx',
  'application/x-zip-compressed': 'charx',
  'application/x-zip': 'charx',
  'application/json': 'json',
  'text/json': 'json',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
  'text/x-yaml': 'yaml',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/plain': 'text',
};

const TEXT_FORMATS = new Set<string>(['json', 'yaml', 'markdown', 'text']);

const LABELS: Record<DetectedFormat | DeclaredFormat, string> = {
  png: 'PNG',
  apng: 'APNG',
  webp: 'WEBP',
  jpeg: 'JPEG',
  gif: 'GIF',
  zip: 'ZIP/CharX',
  charx: 'CharX (ZIP)',
  json: 'JSON',
  yaml: 'YAML',
  markdown: 'Markdown',
  text: 'plain text',
  binary: 'unrecognised binary data',
};

function isGif(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 6 &&
    bytes[0] === 0x47 &&
    bytes[1] === 0x49 &&
    bytes[2] === 0x46 &&
    bytes[3] === 0x38 &&
    (bytes[4] === 0x37 || bytes[4] === 0x39) &&
    bytes[5] === 0x61
  );
}

/** An `acTL` chunk before the first `IDAT` (headers only; validity is checked by the PNG parser). */
function isAnimatedPng(bytes: Uint8Array): boolean {
  let offset = 8;
  for (let i = 0; i < 64 && offset + 8 <= bytes.length; i++) {
    const length = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    if (type === 'acTL') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    offset += 12 + length;
  }
  return false;
}

const TEXT_PROBE_BYTES = 64 * 1024;
const MARKDOWN_HEADING = /^ {0,3}#{1,6}[ \t]+\S/m;
const YAML_START = /^(?:---|%YAML)/;
const YAML_CARD_KEY = /^(?:context|greeting|char_name|char_persona|char_greeting|world_scenario|example_dialogue)[ \t]*:/m;

function detectText(bytes: Uint8Array): DetectedFormat {
  if (hasUtf16Bom(bytes)) return 'text';
  const probe = bytes.subarray(0, TEXT_PROBE_BYTES);
  if (probe.includes(0)) return 'binary';
  let text: string;
  try {
    // stream: true tolerates a multi-byte sequence cut at the probe boundary (the decoder is then dropped).
    text = new TextDecoder('utf-8', { fatal: true }).decode(probe, { stream: probe.length < bytes.length });
  } catch {
    return 'binary';
  }
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return 'json';
  if (YAML_START.test(trimmed) || YAML_CARD_KEY.test(trimmed)) return 'yaml';
  if (MARKDOWN_HEADING.test(trimmed)) return 'markdown';
  return 'text';
}

/** What the bytes are, by magic numbers (and a UTF-8 probe for text). */
export function detectFormat(bytes: Uint8Array): DetectedFormat {
  if (hasPngSignature(bytes)) return isAnimatedPng(bytes) ? 'apng' : 'png';
  if (hasWebpSignature(bytes)) return 'webp';
  if (hasJpegSignature(bytes)) return 'jpeg';
  if (isGif(bytes)) return 'gif';
  if (hasZipSignature(bytes)) return 'zip';
  return detectText(bytes);
}

/** The declared format: the file extension, else the content type; null when neither says anything. */
export function declaredFormat(filename?: string, contentType?: string): DeclaredType | null {
  const ext = filenameExtension(filename);
  if (ext !== null) {
    const format = EXTENSIONS[ext];
    if (!format)
      fail(
        'unsupported_format',
        `File extension ".${ext}" is not supported. Allowed: ${SUPPORTED_EXTENSIONS.map((e) => `.${e}`).join(', ')}`,
      );
    return { format, from: `extension ".${ext}"` };
  }
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  const format = type ? CONTENT_TYPES[type] : undefined;
  return format && type ? { format, from: `content type "${type}"` } : null;
}

function fromDetected(detected: DetectedFormat): CardFileFormat {
  switch (detected) {
    case 'png':
    case 'apng':
      return 'png';
    case 'zip':
      return 'charx';
    case 'gif':
      return fail('unsupported_format', 'GIF character cards are not supported');
    case 'binary':
      return fail('unsupported_format', 'could not determine the file type (unrecognised binary content)');
    default:
      return detected;
  }
}

/** Decides which parser reads the upload. Throws CardFailure: 415 `unsupported_format` or 400 `format_mismatch`. */
export function resolveCardFormat(bytes: Uint8Array, filename?: string, contentType?: string): CardFileFormat {
  const declared = declaredFormat(filename, contentType);
  const detected = detectFormat(bytes);
  if (declared === null) return fromDetected(detected);
  if (declared.format === 'gif') return fail('unsupported_format', 'GIF character cards are not supported');
  const textDeclared = TEXT_FORMATS.has(declared.format);
  const textDetected = TEXT_FORMATS.has(detected);
  if (textDeclared && textDetected) return declared.format as CardFileFormat;
  const detectedAs = fromDetectedLoose(detected);
  if (!textDeclared && detectedAs === declared.format) return declared.format as CardFileFormat;
  return fail(
    'format_mismatch',
    `The file content doesn't match its ${declared.from}: expected ${LABELS[declared.format]}, found ${LABELS[detected]}`,
  );
}

function fromDetectedLoose(detected: DetectedFormat): string {
  if (detected === 'apng') return 'png';
  if (detected === 'zip') return 'charx';
  return detected;
}
