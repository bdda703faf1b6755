/** A search snippet whose only markup is <mark>…</mark> (the server escapes the rest), rendered without innerHTML. */
export function MarkedSnippet({ html }: { html: string }) {
  const parts = html.split(/(<mark>[\s\S]*?<\/mark>)/);
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return <span>{parts.map((p) => (p.startsWith('<mark>') ? <mark>{unescape(p.slice(6, -7))}</mark> : unescape(p)))}</span>;
}
