import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Api, Page } from './api.ts';
import { BranchTree } from './branch-tree.tsx';
import { streamGeneration, type GenerationMode } from './chat-stream.ts';
import { ChatSearch } from './chat-search.tsx';
import { ExplainPanel } from './explain-panel.tsx';
import { FEED_CONNECTED, useLiveEvents } from './live.ts';
import { MessageItem, type MessageActions } from './message-item.tsx';
import { HistoryTimeline } from './history-timeline.tsx';
import { go } from './route.ts';
import { saveFile } from './save-file.ts';
import type { Group } from './groups-page.tsx';
import type { Persona } from './personas-page.tsx';
import type { Character, Chat, Message } from './types.ts';

const PAGE = 50;

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * A conversation: the latest messages first fetched, older pages loaded as the reader scrolls up (a 10,000-message
 * chat opens with one page), a composer whose reply streams in and can be stopped, swipes, edit, delete and fork.
 */
export function ChatPage({ api, chatId }: { api: Api; chatId: string }) {
  const [chat, setChat] = useState<Chat | null>(null);
  const [character, setCharacter] = useState<Character | null>(null);
  const [group, setGroup] = useState<Group | null>(null);
  const [members, setMembers] = useState<Map<string, Character>>(new Map());
  const [personas, setPersonas] = useState<Persona[]>([]);
  const [nextSpeaker, setNextSpeaker] = useState('');
  const [messages, setMessages] = useState<Message[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [image, setImage] = useState<File | null>(null);
  const [pending, setPending] = useState<{ user?: string; reply: string; speaker?: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [panel, setPanel] = useState<'none' | 'tree' | 'search' | 'explain' | 'history'>('none');
  const controller = useRef<AbortController | null>(null);
  const list = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);

  const loadLatest = useCallback(async () => {
    const page = await api.get<Page<Message>>(`/api/v1/character_messages/chats/${chatId}/messages?view=path&order=desc&limit=${PAGE}`);
    setMessages(page.items.slice().reverse());
    setOlderCursor(page.has_more ? (page.next_cursor ?? null) : null);
  }, [api, chatId]);

  useEffect(() => {
    setError(null);
    void (async () => {
      try {
        const c = await api.get<Chat>(`/api/v1/character_chats/${chatId}`);
        setChat(c);
        void api
          .get<{ items: Persona[] }>('/api/v1/personas?limit=200')
          .then((p) => setPersonas(p.items))
          .catch(() => setPersonas([]));
        if (c.group_id) {
          const g = await api.get<Group>(`/api/v1/groups/${c.group_id}`);
          setGroup(g);
          const cards = await Promise.all(
            g.members.map((m) => api.get<Character>(`/api/v1/characters/${m.character_id}`).catch(() => null)),
          );
          setMembers(new Map(cards.filter((x): x is Character => x !== null).map((x) => [x.id, x])));
        } else if (c.character_id) setCharacter(await api.get<Character>(`/api/v1/characters/${c.character_id}`));
        stickToBottom.current = true;
        await loadLatest();
      } catch (e) {
        setError((e as Error).message);
      }
    })();
    return () => controller.current?.abort();
  }, [api, chatId, loadLatest]);

  useLiveEvents(api, (event) => {
    if ((event.type === FEED_CONNECTED || event.resource_id === chatId) && !controller.current) void loadLatest();
  });

  useEffect(() => {
    const el = list.current;
    if (el && stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages, pending]);

  const loadOlder = async () => {
    if (!olderCursor) return;
    const el = list.current;
    const before = el ? el.scrollHeight - el.scrollTop : 0;
    const page = await api.get<Page<Message>>(
      `/api/v1/character_messages/chats/${chatId}/messages?view=path&order=desc&limit=${PAGE}&cursor=${encodeURIComponent(olderCursor)}`,
    );
    setOlderCursor(page.has_more ? (page.next_cursor ?? null) : null);
    setMessages((m) => [...page.items.slice().reverse(), ...m]);
    requestAnimationFrame(() => {
      if (el) el.scrollTop = el.scrollHeight - before;
    });
  };

  const onScroll = () => {
    const el = list.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 80 && olderCursor) void loadOlder();
  };

  const generate = async (mode: GenerationMode, message?: string) => {
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setError(null);
    stickToBottom.current = true;
    setPending({ ...(message ? { user: message } : {}), reply: '' });
    try {
      if (mode === 'impersonate') {
        const draftText = await streamGeneration(api, chatId, { mode }, (text) => setDraft(text), abort.signal);
        setDraft(draftText);
      } else {
        await streamGeneration(
          api,
          chatId,
          { mode, ...(message ? { message } : {}), ...(nextSpeaker ? { speaker_id: nextSpeaker } : {}) },
          (reply, speaker) => setPending((p) => ({ ...p, reply, ...(speaker ? { speaker } : {}) })),
          abort.signal,
        );
      }
    } catch (e) {
      if (!abort.signal.aborted) setError((e as Error).message);
    } finally {
      controller.current = null;
      setPending(null);
      await loadLatest();
    }
  };

  const send = (e: Event) => {
    e.preventDefault();
    const text = draft.trim();
    if ((!text && !image) || controller.current) return;
    setDraft('');
    if (!image) return void generate('normal', text);
    // A message with an image is posted first (it carries the image), then the character answers it.
    const attached = image;
    setImage(null);
    void (async () => {
      try {
        await api.json('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
          sender: 'user',
          content: text,
          image_base64: await base64Of(attached),
          image_mime_type: attached.type || 'image/png',
        });
        await loadLatest();
        await generate('normal');
      } catch (err) {
        setError((err as Error).message);
      }
    })();
  };

  const actions: MessageActions = {
    swipe: async (message, step) => {
      const { items } = await api.get<{ items: Message[] }>(`/api/v1/character_messages/messages/${message.id}/alternates`);
      const target = items.find((m) => m.alternate_index === message.alternate_index + step);
      if (target) await api.json('PUT', `/api/v1/character_messages/messages/${target.id}/select`);
      await loadLatest();
    },
    edit: async (message, content) => {
      await api.json('PUT', `/api/v1/character_messages/messages/${message.id}?expected_version=${message.version}`, { content });
      await loadLatest();
    },
    remove: async (message) => {
      await api.json('DELETE', `/api/v1/character_messages/messages/${message.id}`);
      await loadLatest();
    },
    fork: async (message) => {
      const fork = await api.json<Chat>('POST', `/api/v1/character_chats/${chatId}/fork`, { message_id: message.id });
      go(`#/chats/${fork.id}`);
    },
  };

  const exportJsonl = async () => {
    const { blob, filename } = await api.download(`/api/v1/character_chats/${chatId}/export?format=jsonl`);
    saveFile(blob, filename.endsWith('.jsonl') ? filename : `${chat?.title || 'chat'}.jsonl`);
  };
  const importJsonl = async (file: File) => {
    if (!chat?.character_id) return;
    const imported = await api.json<Chat>('POST', '/api/v1/character_chats/import', {
      character_id: chat.character_id,
      content: await file.text(),
    });
    go(`#/chats/${imported.id}`);
  };

  const changePersona = async (personaId: string) => {
    if (!chat) return;
    setChat(
      await api.json<Chat>('PUT', `/api/v1/character_chats/${chatId}?expected_version=${chat.version}`, { persona_id: personaId || null }),
    );
  };

  const busy = pending !== null;
  const name = group?.name ?? character?.name ?? '…';
  const speakerOf = (m: Message) => (m.speaker_id ? members.get(m.speaker_id) : undefined) ?? character;
  return (
    <section class="chat-page" aria-labelledby="chat-title">
      <header class="chat-header">
        <a href={character ? `#/characters/${character.id}` : group ? '#/groups' : '#/library'} class="link">
          ‹ {name}
        </a>
        <h1 id="chat-title">{chat?.title || `Chat with ${name}`}</h1>
        <label for="chat-persona" class="visually-hidden">
          Persona
        </label>
        <select id="chat-persona" value={chat?.settings?.persona_id ?? ''} onChange={(e) => void changePersona(e.currentTarget.value)}>
          <option value="">No persona</option>
          {personas.map((p) => (
            <option value={p.id}>{p.name}</option>
          ))}
        </select>
        <div class="chat-tools" role="toolbar" aria-label="Chat tools">
          <button type="button" aria-pressed={panel === 'tree'} onClick={() => setPanel(panel === 'tree' ? 'none' : 'tree')}>
            Branches
          </button>
          <button type="button" aria-pressed={panel === 'search'} onClick={() => setPanel(panel === 'search' ? 'none' : 'search')}>
            Search
          </button>
          <button type="button" aria-pressed={panel === 'explain'} onClick={() => setPanel(panel === 'explain' ? 'none' : 'explain')}>
            Explain
          </button>
          <button type="button" aria-pressed={panel === 'history'} onClick={() => setPanel(panel === 'history' ? 'none' : 'history')}>
            History
          </button>
          <button type="button" onClick={() => void exportJsonl()}>
            Export JSONL
          </button>
          <label class="button file-button">
            Import JSONL
            <input
              type="file"
              accept=".jsonl,application/jsonl,text/plain"
              aria-label="Import JSONL"
              onChange={(e) => e.currentTarget.files?.[0] && void importJsonl(e.currentTarget.files[0])}
            />
          </label>
        </div>
      </header>
      <div class="chat-layout">
        <div class="conversation" ref={list} onScroll={onScroll} role="log" aria-label="Conversation" aria-busy={busy}>
          {olderCursor && (
            <button type="button" class="link load-older" onClick={() => void loadOlder()}>
              Load older messages
            </button>
          )}
          {messages.map((m) => (
            <MessageItem
              key={`${m.id}:${m.version}:${m.alternate_index}`}
              api={api}
              message={m}
              characterName={speakerOf(m)?.name ?? name}
              avatarUrl={speakerOf(m)?.image?.url ?? null}
              actions={actions}
              busy={busy}
            />
          ))}
          {pending?.user && (
            <article class="message from-user pending" aria-label="You said">
              <div class="message-body">
                <p class="message-text">{pending.user}</p>
              </div>
            </article>
          )}
          {pending && (
            <article class="message from-character pending" aria-label={`${pending.speaker ?? name} is replying`}>
              <div class="message-body">
                <header>
                  <strong>{pending.speaker ?? name}</strong>
                </header>
                <p class="message-text" data-testid="streaming-reply">
                  {pending.reply || '…'}
                </p>
              </div>
            </article>
          )}
        </div>
        {panel === 'tree' && <BranchTree api={api} chatId={chatId} onSelected={loadLatest} />}
        {panel === 'search' && <ChatSearch api={api} chatId={chatId} />}
        {panel === 'explain' && <ExplainPanel api={api} chatId={chatId} />}
        {panel === 'history' && (
          <aside class="side-panel" aria-label="Chat history">
            <HistoryTimeline api={api} path={`/api/v1/character_chats/${chatId}`} title="History" />
          </aside>
        )}
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <form class="composer" onSubmit={send}>
        <label for="composer" class="visually-hidden">
          Message
        </label>
        <textarea
          id="composer"
          rows={2}
          value={draft}
          placeholder={`Message ${name}`}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) send(e);
          }}
        />
        <div class="composer-actions">
          {busy ? (
            <button type="button" onClick={() => controller.current?.abort()}>
              Stop
            </button>
          ) : (
            <button type="submit" disabled={!draft.trim() && !image}>
              Send
            </button>
          )}
          <label class="button file-button">
            {image ? `Image: ${image.name}` : 'Attach image'}
            <input
              type="file"
              accept="image/png,image/jpeg,image/webp,image/gif"
              aria-label="Attach image"
              onChange={(e) => setImage(e.currentTarget.files?.[0] ?? null)}
            />
          </label>
          {group && (
            <>
              <label for="next-speaker" class="visually-hidden">
                Next speaker
              </label>
              <select id="next-speaker" value={nextSpeaker} onChange={(e) => setNextSpeaker(e.currentTarget.value)}>
                <option value="">{`Next: by ${group.activation_strategy} order`}</option>
                {group.members.map((m) => (
                  <option value={m.character_id}>{`Next: ${m.name ?? members.get(m.character_id)?.name ?? m.character_id}`}</option>
                ))}
              </select>
            </>
          )}
          <button type="button" disabled={busy} onClick={() => void generate('regenerate')}>
            Regenerate
          </button>
          <button type="button" disabled={busy} onClick={() => void generate('continue')}>
            Continue
          </button>
          <button type="button" disabled={busy} onClick={() => void generate('impersonate')}>
            Impersonate
          </button>
        </div>
      </form>
    </section>
  );
}
