/**
 * Preloaded into a benchmarked service (`NODE_OPTIONS=--import ./bench/full-gc-on-signal.ts`, with
 * FULL_GC_REPORT_FILE): on SIGUSR2 it runs a full garbage collection and writes the memory afterwards to that file
 * as JSON. A bench uses it to tell memory still held from garbage that an idle process has simply not collected
 * yet. Never loaded by the service itself.
 */
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const file = process.env.FULL_GC_REPORT_FILE;
process.on('SIGUSR2', () => {
  gc();
  const m = process.memoryUsage();
  const mib = (x: number) => Math.round(x / 104857.6) / 10;
  if (file)
    writeFileSync(
      file,
      JSON.stringify({ rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), externalMiB: mib(m.external) }),
    );
});
