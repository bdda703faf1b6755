import { AppError } from '../errors.ts';

/** The parts that must be in the prompt do not fit in the context size minus the reply reserve. */
export class PromptBudgetExceededError extends AppError {
  constructor(required: number, budget: number) {
    super(
      400,
      'prompt_exceeds_context',
      `the prompt needs at least ${required} tokens (system prompt, character, lorebook, injections, the newest message and instructions) but only ${budget} fit (context size minus reply reserve)`,
      { required_tokens: required, budget_tokens: budget },
    );
    this.name = 'PromptBudgetExceededError';
  }
}

/** The assembly input is inconsistent (e.g. `continue` on an empty chat). */
export class PromptInputError extends AppError {
  constructor(message: string) {
    super(400, 'invalid_prompt_input', message);
    this.name = 'PromptInputError';
  }
}
