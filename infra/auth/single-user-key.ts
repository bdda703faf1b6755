import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * The single-user API key: `API_KEY` when set, otherwise one generated at first start and kept in
 * `DATA_DIR/api-key` (mode 0600). `created` tells the caller to print it, once.
 */
export async function resolveSingleUserKey(
  dataDir: string,
  configured?: string,
): Promise<{ key: string; created: boolean; file?: string }> {
  if (configured) return { key: configured, created: false };
  const file = path.join(dataDir, 'api-key');
  try {
    const key = (await fs.readFile(file, 'utf8')).trim();
    if (key.length >= 16) return { key, created: false, file };
  } catch {
    // first start
  }
  await fs.mkdir(dataDir, { recursive: true });
  const key = `ccb_local_${randomBytes(24).toString('base64url')}`;
  await fs.writeFile(file, `${key}\n`, { mode: 0o600, flag: 'w' });
  await fs.chmod(file, 0o600);
  return { key, created: true, file };
}
