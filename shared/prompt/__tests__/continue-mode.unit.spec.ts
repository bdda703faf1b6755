import { planContinue } from '../continue-mode.ts';
import { historyWindowMessages } from '../history-messages.ts';
import { bot, earlyStages, promptInput, user } from './helpers/stage-input.ts';

describe('continue', () => {
  const s = earlyStages(promptInput({ prompts: { continueNudge: 'Go on: {{lastChatMessage}}' } }));
  const history = [user('1', 'a'), bot('2', ' half ')];
  const window = () =>
    historyWindowMessages(
      { slots: s.slots, expand: s.macros.expand, profile: s.profile, userName: 'Ann', namesMode: 'none' },
      history,
      undefined,
      null,
    );

  test('the last message is kept and nudged', () => {
    const messages = window();
    const plan = planContinue('continue', messages, undefined, s.slots, s.macros.expand, s.texts);
    expect(plan.continued).toBe(messages[1]);
    expect(messages[1]?.mandatory).toBe(true);
    expect(plan.prefill).toBe(false);
    expect(plan.nudge.map((n) => n.message.content)).toEqual(['Go on: half']);
  });

  test('with prefill there is no nudge; other modes plan nothing', () => {
    expect(planContinue('continue', window(), true, s.slots, s.macros.expand, s.texts)).toMatchObject({ prefill: true, nudge: [] });
    expect(planContinue('normal', window(), true, s.slots, s.macros.expand, s.texts)).toEqual({
      continued: undefined,
      prefill: false,
      nudge: [],
    });
  });
});
