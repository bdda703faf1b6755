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

/**
 * Every `{{` of the text (left to right, each pair of braces read once) and, for those that are closed, the index just
 * past their `}}`, nesting counted: one pass, so no text (an unclosed `{{//` repeated, say) costs more than linear time.
 */
function macroSpans(text: string): { opens: number[]; ends: Map<number, number> } {
  const opens: number[] = [];
  const ends = new Map<number, number>();
  const stack: number[] = [];
  for (let i = 0; i < text.length - 1; i++) {
    if (text[i] === '{' && text[i + 1] === '{') {
      opens.push(i);
      stack.push(i);
      i++;
    } else if (text[i] === '}' && text[i + 1] === '}') {
      const open = stack.pop();
      if (open !== undefined) ends.set(open, i + 2);
      i++;
    }
  }
  return { opens, ends };
}

/**
 * The text without its comment macros. `recursive`: the text is an activated entry's content scanned for recursion,
 * so a `{{hidden_key: …}}` keeps its inner text (its keys match), else it is removed like a comment.
 */
export function stripCommentMacros(text: string, options: { recursive?: boolean } = {}): string {
  if (!text.includes('{{')) return text;
  const { opens, ends } = macroSpans(text);
  let out = '';
  let from = 0;
  for (const open of opens) {
    if (open < from) continue;
    const end = ends.get(open);
    if (end === undefined) continue;
    const opener = OPENERS.find((o) => o.prefix.test(text.slice(open, open + 32)));
    if (!opener) continue;
    out += text.slice(from, open);
    if (opener.kind === 'hidden_key' && options.recursive)
      out += text
        .slice(open, end - 2)
        .replace(opener.prefix, '')
        .trim();
    from = end;
  }
  return out + text.slice(from);
}
