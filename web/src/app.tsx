import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { CharacterPage } from './character-page.tsx';
import { DictionariesPage } from './dictionaries-page.tsx';
import { GroupsPage } from './groups-page.tsx';
import { ChatPage } from './chat-page.tsx';
import { Library } from './library.tsx';
import { LorebooksPage } from './lorebooks-page.tsx';
import { PersonasPage } from './personas-page.tsx';
import { useRoute, type Route } from './route.ts';
import { keyFromOtherTabs, savedApi, signOut } from './session.ts';
import { SignIn } from './sign-in.tsx';
import { useTheme } from './theme.ts';
import { UsagePage } from './usage-page.tsx';

/** The main sections, in menu order: `[page, label]`. */
const NAV = [
  ['library', 'Library'],
  ['personas', 'Personas'],
  ['groups', 'Groups'],
  ['lorebooks', 'Lorebooks'],
  ['dictionaries', 'Dictionaries'],
  ['usage', 'Usage'],
] as const;

/** The menu section a route belongs to (a character's page is the library's; a chat is none). */
const section = (route: Route): string => (route.page === 'character' ? 'library' : route.page);

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
          {NAV.map(([page, label]) => (
            <a href={`#/${page}`} aria-current={page === section(route) ? 'page' : undefined}>
              {label}
            </a>
          ))}
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
