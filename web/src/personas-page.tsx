import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api, Page } from './api.ts';
import { Avatar } from './avatar.tsx';

export interface Persona {
  id: string;
  version: number;
  name: string;
  description: string;
  position: 'in_prompt' | 'an_top' | 'an_bottom' | 'at_depth' | 'none';
  depth: number;
  role: 'system' | 'user' | 'assistant';
  is_default: boolean;
  avatar: { url: string } | null;
}

const POSITIONS: Array<[Persona['position'], string]> = [
  ['in_prompt', 'In the prompt (story string)'],
  ['an_top', "Top of the author's note"],
  ['an_bottom', "Bottom of the author's note"],
  ['at_depth', 'In the chat at a depth'],
  ['none', 'Nowhere'],
];

const EMPTY = {
  name: '',
  description: '',
  position: 'in_prompt' as Persona['position'],
  depth: 2,
  role: 'system' as Persona['role'],
  is_default: false,
};

/** Personas (who "I" am in a chat): create, edit, make default, delete and restore. */
export function PersonasPage({ api }: { api: Api }) {
  const [personas, setPersonas] = useState<Persona[]>([]);
  const [draft, setDraft] = useState(EMPTY);
  const [editing, setEditing] = useState<Persona | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const load = useCallback(async () => setPersonas((await api.get<Page<Persona>>('/api/v1/personas?limit=200')).items), [api]);
  useEffect(() => void load(), [load]);

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      if (editing) await api.json('PUT', `/api/v1/personas/${editing.id}?expected_version=${editing.version}`, draft);
      else await api.json('POST', '/api/v1/personas', draft);
      setStatus(`Saved ${draft.name}`);
      setDraft(EMPTY);
      setEditing(null);
      await load();
    } catch (err) {
      setStatus((err as Error).message);
    }
  };
  const edit = (p: Persona) => {
    setEditing(p);
    setDraft({ name: p.name, description: p.description, position: p.position, depth: p.depth, role: p.role, is_default: p.is_default });
  };
  const remove = async (p: Persona) => {
    await api.json('DELETE', `/api/v1/personas/${p.id}?expected_version=${p.version}`);
    setStatus(`Deleted ${p.name}`);
    await load();
  };

  return (
    <section aria-labelledby="personas-title">
      <h1 id="personas-title">Personas</h1>
      <p role="status" class="status">
        {status}
      </p>
      <ul class="card-grid" aria-label="Personas">
        {personas.map((p) => (
          <li class="character-card" aria-label={p.name}>
            <Avatar api={api} name={p.name} url={p.avatar?.url} version={p.version} size="md" />
            <strong>
              {p.name}
              {p.is_default ? ' (default)' : ''}
            </strong>
            <p class="muted">{p.description.slice(0, 120)}</p>
            <div class="card-actions">
              <button type="button" onClick={() => edit(p)}>
                Edit
              </button>
              <button type="button" class="danger" onClick={() => void remove(p)}>
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
      <form class="editor" onSubmit={save} aria-label={editing ? `Edit ${editing.name}` : 'New persona'}>
        <fieldset>
          <legend>{editing ? `Edit ${editing.name}` : 'New persona'}</legend>
          <label for="persona-name">Persona name</label>
          <input id="persona-name" value={draft.name} onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })} required />
          <label for="persona-description">Persona description</label>
          <textarea
            id="persona-description"
            rows={4}
            value={draft.description}
            onInput={(e) => setDraft({ ...draft, description: e.currentTarget.value })}
          />
          <label for="persona-position">Description position</label>
          <select
            id="persona-position"
            value={draft.position}
            onChange={(e) => setDraft({ ...draft, position: e.currentTarget.value as Persona['position'] })}
          >
            {POSITIONS.map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
          {draft.position === 'at_depth' && (
            <>
              <label for="persona-depth">Depth</label>
              <input
                id="persona-depth"
                type="number"
                min={0}
                value={draft.depth}
                onInput={(e) => setDraft({ ...draft, depth: Number(e.currentTarget.value) })}
              />
              <label for="persona-role">Role</label>
              <select
                id="persona-role"
                value={draft.role}
                onChange={(e) => setDraft({ ...draft, role: e.currentTarget.value as Persona['role'] })}
              >
                <option value="system">system</option>
                <option value="user">user</option>
                <option value="assistant">assistant</option>
              </select>
            </>
          )}
          <label class="check" for="persona-default">
            <input
              id="persona-default"
              type="checkbox"
              checked={draft.is_default}
              onChange={(e) => setDraft({ ...draft, is_default: e.currentTarget.checked })}
            />{' '}
            Default persona
          </label>
          <button type="submit">{editing ? 'Save persona' : 'Create persona'}</button>
        </fieldset>
      </form>
    </section>
  );
}
