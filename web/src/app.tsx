import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { CharacterPage } from './character-page.tsx';
import { DictionariesPage } from './dictionaries-page.tsx';
import { GroupsPage } from './groups-page.tsx';
import { ChatPage } from './chat-page.tsx';
import { Library } from './library.tsx';
import { LorebooksPage } from './lorebooks-page.tsx';
import { PersonasPage } from './personas-page.tsx';
import { useRoute } from './route.ts';
import { keyFromOtherTabs, savedApi, signOut } from './session.ts';
import { SignIn } from './sign-in.tsx';
import { useTheme } from './theme.ts';
import { UsagePage } from './usage-page.tsx';

export function App() {
  const [api, setApi] = useState<Api | null>(savedApi);
  const [theme, toggleTheme] = useTheme();
  const route = useRoute();
  const [askedTabs, setAskedTabs] = useState(api !== null);
  useEffect(() => {
    if (api) return;
    void keyFromOtherTabs().then((shared) => {
      if (shared) setApi(shared);
      setAskedTabs(true);
    });
  }, []);
  if (!api) return askedTabs ? <SignIn onSignedIn={setApi} /> : <p class="muted">Loading…</p>;
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/library">
          Character chat
        </a>
        <nav aria-label="Main">
          <a href="#/library" aria-current={route.page === 'library' || route.page === 'character' ? 'page' : undefined}>
            Library
          </a>
          <a href="#/personas" aria-current={route.page === 'personas' ? 'page' : undefined}>
            Personas
          </a>
          <a href="#/groups" aria-current={route.page === 'groups' ? 'page' : undefined}>
            Groups
          </a>
          <a href="#/lorebooks" aria-current={route.page === 'lorebooks' ? 'page' : undefined}>
            Lorebooks
          </a>
          <a href="#/dictionaries" aria-current={route.page === 'dictionaries' ? 'page' : undefined}>
            Dictionaries
          </a>
          <a href="#/usage" aria-current={route.page === 'usage' ? 'page' : undefined}>
            Usage
          </a>
        </nav>
        <div class="topbar-actions">
          <button type="button" onClick={toggleTheme} aria-label={theme === 'dark' ? 'Light theme' : 'Dark theme'}>
            {theme === 'dark' ? '☀' : '☾'}
          </button>
          <button
            type="button"
            onClick={() => {
              signOut();
              setApi(null);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        {route.page === 'library' && <Library api={api} />}
        {route.page === 'character' && <CharacterPage api={api} id={route.id} />}
        {route.page === 'chat' && <ChatPage api={api} chatId={route.id} />}
        {route.page === 'dictionaries' && <DictionariesPage api={api} />}
        {route.page === 'usage' && <UsagePage api={api} />}
        {route.page === 'personas' && <PersonasPage api={api} />}
        {route.page === 'groups' && <GroupsPage api={api} />}
        {route.page === 'lorebooks' && <LorebooksPage api={api} {...(route.id ? { bookId: route.id } : {})} />}
      </main>
    </div>
  );
}
