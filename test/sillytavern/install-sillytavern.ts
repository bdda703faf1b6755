import { ensureSillyTavern, SILLYTAVERN_VERSIONS, sillyTavernCacheRoot } from './sillytavern-install.ts';

/**
 * `node test/sillytavern/install-sillytavern.ts`: fills the SillyTavern cache the SillyTavern tests use (CI runs it
 * before `npm test`, so the install is timed on its own and a missing registry fails here, loudly).
 */
for (const version of SILLYTAVERN_VERSIONS) {
  const install = ensureSillyTavern(version);
  console.log(
    install.installMs > 0
      ? `sillytavern@${version}: installed from npm in ${(install.installMs / 1000).toFixed(1)} s into ${sillyTavernCacheRoot()}`
      : `sillytavern@${version}: cached in ${sillyTavernCacheRoot()}`,
  );
}
