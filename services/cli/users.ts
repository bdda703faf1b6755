import { parseArgs } from 'node:util';
import { createDatabase } from '../../infra/db/database.ts';
import { connectDatabase } from '../../infra/db/connect.ts';
import { createUserStore } from '../../infra/auth/user-store.ts';
import { configOrExit, processLogger } from '../process.ts';

const USAGE = `usage: npm run users -- <command>
  create <name> [--admin]     create a user and print its first API key
  list                        list users and their active key counts
  keys [<user-id>]            list API keys (ids and prefixes, never the keys)
  issue-key <user-id>         print a new API key for a user
  revoke-key <key-id|prefix>  revoke an API key
  disable <user-id>           refuse the user's API keys and JWTs (a JWT-only user too)
  enable <user-id>            accept them again`;

const config = configOrExit();
const logger = processLogger({ ...config, LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL }, 'users');
const { positionals, values } = parseArgs({ allowPositionals: true, options: { admin: { type: 'boolean', default: false } } });
const [command, arg] = positionals;
if (!command) {
  console.error(USAGE);
  process.exit(2);
}
if (config.AUTH_MODE !== 'multi-user') console.error('note: AUTH_MODE is single-user; these users take effect with AUTH_MODE=multi-user');

const connection = await connectDatabase(config, logger);
const database = createDatabase(connection.connectionString, { max: 2, applicationName: 'users-cli' });
const users = createUserStore(database.pool);
let code = 0;
try {
  await users.migrate();
  switch (command) {
    case 'create': {
      if (!arg) throw new Error('create needs a name');
      const { user, apiKey, keyId } = await users.createUser(arg, values.admin ?? false);
      console.log(JSON.stringify({ user_id: user.id, name: user.name, is_admin: user.is_admin, key_id: keyId, api_key: apiKey }, null, 2));
      console.error('Keep the api_key now: only its hash is stored.');
      break;
    }
    case 'list':
      console.table(
        (await users.listUsers()).map((u) => ({
          id: u.id,
          name: u.name,
          admin: u.is_admin,
          active_keys: u.active_keys,
          created: u.created_at.toISOString(),
          disabled: u.disabled_at?.toISOString() ?? '',
          forgotten: u.forgotten_at?.toISOString() ?? '',
        })),
      );
      break;
    case 'keys':
      console.table(
        (await users.listKeys(arg)).map((k) => ({
          id: k.id,
          user_id: k.user_id,
          prefix: k.prefix,
          created: k.created_at.toISOString(),
          revoked: k.revoked_at?.toISOString() ?? '',
        })),
      );
      break;
    case 'issue-key': {
      if (!arg) throw new Error('issue-key needs a user id');
      const { key, keyId } = await users.issueKey(arg);
      console.log(JSON.stringify({ key_id: keyId, api_key: key }, null, 2));
      break;
    }
    case 'revoke-key':
      if (!arg) throw new Error('revoke-key needs a key id or prefix');
      if (!(await users.revokeKey(arg))) throw new Error(`no active key ${arg}`);
      console.log(`revoked ${arg}`);
      break;
    case 'disable':
      if (!arg) throw new Error('disable needs a user id');
      console.log(`${(await users.disableUser(arg)) ? 'disabled' : 'already disabled:'} ${arg} (running services refuse it within 5 s)`);
      break;
    case 'enable':
      if (!arg) throw new Error('enable needs a user id');
      if (!(await users.enableUser(arg))) throw new Error(`no disabled user ${arg}`);
      console.log(`enabled ${arg}`);
      break;
    default:
      console.error(USAGE);
      code = 2;
  }
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  code = 1;
} finally {
  await database.close();
  await connection.stop();
}
process.exit(code);
