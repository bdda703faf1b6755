import { sillyTavernSuite } from '../sillytavern-suite.ts';

/** SillyTavern 1.19.0 (installed from npm into the cache on first run) in front of this service. */
sillyTavernSuite('1.19.0');
