export * from './dictionary-model.ts';
export * from './dictionary-pattern.ts';
export * from './dictionary-engine.ts';
export * from './dictionary-includes.ts';
export * from './dictionary-formats.ts';
export * from './process-report.ts';
