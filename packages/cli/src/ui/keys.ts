import type { DashboardState } from './state.js';

/** What a key press asks for; the controller carries it out. */
export type KeyCommand =
  | { type: 'select'; delta: number }
  | { type: 'toggle-pause'; follower: string }
  | { type: 'pause-all' }
  | { type: 'resume-all' }
  | { type: 'ask-flatten'; follower: string }
  | { type: 'ask-flatten-all' }
  | { type: 'reconcile' }
  | { type: 'confirm' }
  | { type: 'decline' }
  | { type: 'quit' }
  | { type: 'none' };

/** The keys Ink reports that the dashboard reads. */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  return?: boolean;
}

/** The help line: every key the dashboard answers to. */
export const HELP =
  '↑/↓ select  p pause/resume  P pause/resume all  f flatten  F flatten all  r reconcile  q quit';
/** The same keys for a narrow terminal (under 100 columns). */
export const HELP_SHORT = '↑↓ select  p pause  P all  f flatten  F all  r reconcile  q quit';

/**
 * Maps a key press to a command, given what the screen shows: while a question
 * is open only y / n / Esc count, so a stray key can never flatten an account.
 */
export function keyToCommand(state: DashboardState, input: string, key: KeyInfo): KeyCommand {
  if (key.ctrl && input === 'c') return { type: 'quit' };
  if (state.quitting) return { type: 'none' };
  if (state.confirm) {
    if (input === 'y' || input === 'Y') return { type: 'confirm' };
    if (input === 'n' || input === 'N' || key.escape) return { type: 'decline' };
    return { type: 'none' };
  }
  const selected = state.accounts[state.selected];
  if (key.upArrow || input === 'k') return { type: 'select', delta: -1 };
  if (key.downArrow || input === 'j') return { type: 'select', delta: 1 };
  switch (input) {
    case 'p':
      return selected ? { type: 'toggle-pause', follower: selected.follower } : { type: 'none' };
    case 'P':
      return state.accounts.every((a) => a.status === 'paused')
        ? { type: 'resume-all' }
        : { type: 'pause-all' };
    case 'f':
      return selected ? { type: 'ask-flatten', follower: selected.follower } : { type: 'none' };
    case 'F':
      return { type: 'ask-flatten-all' };
    case 'r':
      return { type: 'reconcile' };
    case 'q':
      return { type: 'quit' };
    default:
      return { type: 'none' };
  }
}
