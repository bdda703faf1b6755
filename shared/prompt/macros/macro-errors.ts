import { AppError } from '../../errors.ts';

/** Macro expansion produced more text than allowed (e.g. a variable doubled over and over). */
export class MacroExpansionError extends AppError {
  constructor(limit: number) {
    super(422, 'macro_expansion_too_large', `macro expansion produced more than ${limit} characters`, { limit });
    this.name = 'MacroExpansionError';
  }
}
