/** SillyTavern-compatible macros (`{{char}}`, `{{random}}`, `{{setvar}}`, ...): a pure, linear-time evaluator. */
export { MacroEvaluator, MAX_MACRO_NESTING, DEFAULT_MAX_MACRO_OUTPUT } from './evaluator.ts';
export type { MacroEvaluatorOptions } from './evaluator.ts';
export type { CardMacroValues, EvaluateOptions, MacroEnvironment, MacroMessage } from './macro-environment.ts';
export { ChatVariables, MAX_VARIABLE_LENGTH } from './chat-variables.ts';
export type { VariableChange, VariableOperation } from './chat-variables.ts';
export { MacroExpansionError } from './macro-errors.ts';
export { parseDiceFormula, rollDice } from './dice.ts';
export type { DiceFormula } from './dice.ts';
export { humanizeDuration } from './humanize-duration.ts';
