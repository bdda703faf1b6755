import { useState } from 'preact/hooks';

/** A key written as /pattern/flags is a regular expression: whether it compiles, shown as it is typed. */
export function regexProblem(key: string): string | null {
  const m = /^\/([\s\S]+)\/([a-z]*)$/.exec(key);
  if (!m) return null;
  try {
    new RegExp(m[1]!, m[2]);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Keys as chips: type and press Enter (or a comma) to add, × to remove; a regex key's validity shown live. */
export function KeyChips({ label, keys, onChange }: { label: string; keys: string[]; onChange: (keys: string[]) => void }) {
  const [text, setText] = useState('');
  const problem = regexProblem(text.trim());
  const id = `chips-${label.replace(/\W+/g, '-').toLowerCase()}`;
  const add = () => {
    const key = text.trim();
    if (!key || regexProblem(key)) return;
    if (!keys.includes(key)) onChange([...keys, key]);
    setText('');
  };
  return (
    <div class="field chips-field">
      <label for={id}>{label}</label>
      <ul class="chips" aria-label={label}>
        {keys.map((k) => (
          <li class={`chip${regexProblem(k) ? ' invalid' : ''}`}>
            {k}
            <button type="button" aria-label={`Remove ${k}`} onClick={() => onChange(keys.filter((x) => x !== k))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        id={id}
        value={text}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-error` : undefined}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ',') {
            e.preventDefault();
            add();
          }
        }}
        onBlur={add}
      />
      {problem && (
        <small id={`${id}-error`} class="error" role="alert">
          Invalid regular expression: {problem}
        </small>
      )}
    </div>
  );
}
