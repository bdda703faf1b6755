import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { Avatar } from './avatar.tsx';
import type { Message } from './types.ts';

export interface MessageActions {
  swipe: (message: Message, step: -1 | 1) => Promise<void>;
  edit: (message: Message, content: string) => Promise<void>;
  remove: (message: Message) => Promise<void>;
  fork: (message: Message) => Promise<void>;
}

/** One message of the conversation: avatar and name, text, image, swipes (n / m), edit, delete, fork. */
export function MessageItem({
  api,
  message,
  characterName,
  avatarUrl,
  actions,
  busy,
}: {
  api: Api;
  message: Message;
  characterName: string;
  avatarUrl: string | null;
  actions: MessageActions;
  busy: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.content);
  const name = message.name ?? (message.sender === 'user' ? 'You' : characterName);
  const isUser = message.sender === 'user';
  return (
    <article class={`message ${isUser ? 'from-user' : 'from-character'}`} aria-label={`${name} said`}>
      <Avatar api={api} name={name} url={isUser ? null : avatarUrl} size="sm" />
      <div class="message-body">
        <header>
          <strong>{name}</strong>
        </header>
        {editing ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void actions.edit(message, draft).then(() => setEditing(false));
            }}
          >
            <label class="visually-hidden" for={`edit-${message.id}`}>
              Edit message
            </label>
            <textarea id={`edit-${message.id}`} rows={4} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
            <button type="submit">Save edit</button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <p class="message-text">{message.content}</p>
        )}
        {message.image && <MessageImage api={api} url={message.image.url} />}
        <footer class="message-actions">
          {message.alternate_count > 1 || !isUser ? (
            <span class="swipes" role="group" aria-label="Alternates">
              <button
                type="button"
                aria-label="Previous alternate"
                disabled={busy || message.alternate_index <= 0}
                onClick={() => void actions.swipe(message, -1)}
              >
                ‹
              </button>
              <span class="swipe-count" aria-label="Alternate">
                {message.alternate_index + 1} / {message.alternate_count}
              </span>
              <button
                type="button"
                aria-label="Next alternate"
                disabled={busy || message.alternate_index >= message.alternate_count - 1}
                onClick={() => void actions.swipe(message, 1)}
              >
                ›
              </button>
            </span>
          ) : null}
          <button type="button" class="link" onClick={() => (setDraft(message.content), setEditing(true))} disabled={busy}>
            Edit
          </button>
          <button type="button" class="link" onClick={() => void actions.fork(message)} disabled={busy}>
            Fork
          </button>
          <button type="button" class="link danger" onClick={() => void actions.remove(message)} disabled={busy}>
            Delete
          </button>
        </footer>
      </div>
    </article>
  );
}

function MessageImage({ api, url }: { api: Api; url: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void api.imageUrl(url).then((u) => live && setSrc(u));
    return () => {
      live = false;
    };
  }, [api, url]);
  return src ? <img class="message-image" src={src} alt="Attached image" /> : null;
}
