import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.ts';

/** A character's avatar (fetched with the key) or its initial when it has none. */
export function Avatar({
  api,
  name,
  url,
  version,
  size = 'md',
}: {
  api: Api;
  name: string;
  url: string | null | undefined;
  version?: string | number;
  size?: 'sm' | 'md' | 'lg';
}) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setSrc(null);
    if (url) void api.imageUrl(url, String(version ?? '')).then((u) => live && setSrc(u));
    return () => {
      live = false;
    };
  }, [api, url, version]);
  return src ? (
    <img class={`avatar avatar-${size}`} src={src} alt={`${name}'s avatar`} />
  ) : (
    <span class={`avatar avatar-${size} avatar-initial`} role="img" aria-label={`${name}'s avatar`}>
      {name.trim().charAt(0).toUpperCase() || '?'}
    </span>
  );
}
