import { sillyTavernSuite } from '../sillytavern-suite.ts';

/** SillyTavern 1.12.6 (installed from npm into the cache on first run) in front of this service. */
sillyTavernSuite('1.12.6');
