/**
 * Character Card V3 comment macros in scanned text. The spec keeps `{{// …}}` and `{{comment: …}}` out of lorebook
 * matching, and `{{hidden_key: …}}` too, except that its text is matched when it is scanned recursively (it comes
 * from an activated entry's content). Macros nest (`{{// a {{char}} b}}` is one comment); an unclosed one is left
 * as written. Names are case-insensitive, and spaces may follow `{{`.
 */
type Kind = 'comment' | 'hidden_key';

const OPENERS: ReadonlyArray<{ prefix: RegExp; kind: Kind }> = [
  { prefix: /^\{\{\s*\/\//, kind: 'comment' },
  { prefix: /^\{\{\s*comment\s*:/i, kind: 'comment' },
  { prefix: /^\{\{\s*hidden_key\s*:/i, kind: 'hidden_key' },
];

/** Index just past the `}}` closing the macro whose `{{` is at `start`, counting nested `{{ }}`; -1 if unclosed. */
function closingEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length - 1; i++) {
    if (text[i] === '{' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && text[i + 1] === '}') {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * The text without its comment macros. `recursive`: the text is an activated entry's content scanned for recursion,
 * so a `{{hidden_key: …}}` keeps its inner text (its keys match), else it is removed like a comment.
 */
export function stripCommentMacros(text: string, options: { recursive?: boolean } = {}): string {
  if (!text.includes('{{')) return text;
  let out = '';
  let from = 0;
  let i = text.indexOf('{{');
  while (i >= 0) {
    const rest = text.slice(i, i + 32);
    const opener = OPENERS.find((o) => o.prefix.test(rest));
    const end = opener ? closingEnd(text, i) : -1;
    if (!opener || end < 0) {
      i = text.indexOf('{{', i + 2);
      continue;
    }
    out += text.slice(from, i);
    if (opener.kind === 'hidden_key' && options.recursive) {
      const inner = text.slice(i, end - 2).replace(opener.prefix, '');
      out += inner.trim();
    }
    from = end;
    i = text.indexOf('{{', end);
  }
  return out + text.slice(from);
}
