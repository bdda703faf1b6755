/**
 * The layer rule (ARCHITECTURE.md): dependencies point one way.
 *
 *   services/  wires everything; may import every layer
 *   commands/, projections/   peers: shared/ and infra/, never each other, queries/ or services/
 *   queries/   shared/, infra/ and the read models' row folds in projections/; never commands/ or services/
 *   infra/     adapters implementing ports declared in shared/; imports shared/ only
 *   shared/    pure domain (events, folds, engines, formats, ports); imports nothing else of the project
 *
 * Tests (`*.spec.ts`, `__tests__/`, `test/`, `bench/`) may import across layers. Type-only imports count
 * (`tsPreCompilationDeps`): a type is a dependency too. `npm run lint` fails on any `error`;
 * test/layers.unit.spec.ts runs the same rules from jest.
 */
const TESTS = '^(test|bench)/|/__tests__/|\\.spec\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'shared-imports-nothing-else',
      comment: 'shared/ is the pure domain everything builds on: it imports no other folder of the project (declare a port here instead).',
      severity: 'error',
      from: { path: '^shared/', pathNot: TESTS },
      to: { path: '^(commands|projections|queries|services|infra|test|bench)/' },
    },
    {
      name: 'commands-not-projections-queries-services',
      comment:
        'A command decides from its own stream (folds in shared/), never from read-model code; services/ calls commands, not the reverse.',
      severity: 'error',
      from: { path: '^commands/', pathNot: TESTS },
      to: { path: '^(projections|queries|services)/' },
    },
    {
      name: 'projections-not-commands-queries-services',
      comment: 'A projection folds events into rows with shared/ code; helpers it needs from the command side belong in shared/.',
      severity: 'error',
      from: { path: '^projections/', pathNot: TESTS },
      to: { path: '^(commands|queries|services)/' },
    },
    {
      name: 'queries-not-commands-services',
      comment:
        'Queries read read models (and, for history and time travel, fold streams with shared/ folds); they never reach into the command side or the process wiring.',
      severity: 'error',
      from: { path: '^queries/', pathNot: TESTS },
      to: { path: '^(commands|services)/' },
    },
    {
      name: 'infra-implements-shared-ports',
      comment:
        'Adapters implement ports declared in shared/ and import nothing above them; services/ wires them to commands, projections and queries.',
      severity: 'error',
      from: { path: '^infra/', pathNot: TESTS },
      to: { path: '^(commands|projections|queries|services)/' },
    },
    {
      name: 'no-circular',
      comment:
        'Cycles in production code. A warning for now: 17 exist, 15 of them through type-only imports (the queue and relay ports and their adapters, the world-info engine types, services/runtime.ts and the worker job handlers) and 2 at run time (infra/relay/relay.ts and its adapters).',
      severity: 'warn',
      from: { pathNot: TESTS },
      to: { circular: true, pathNot: TESTS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|data)/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
