import { ConfigError } from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load-config.js';

const valid = `
leader:
  account: L1
followers:
  - name: a
    account: A1
    scaling: { mode: multiplier, factor: 2 }
`;

function issuesOf(text: string, env: Record<string, string> = {}) {
  try {
    parseConfigText(text, 'cfg.yaml', { env });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected the config to be invalid');
}

describe('loading a config', () => {
  it('fills in defaults', () => {
    const { config } = parseConfigText(valid, 'cfg.yaml', { env: {} });
    expect(config.followers[0]).toMatchObject({
      broker: 'paper',
      rounding: 'round',
      reversal: 'split',
      inverse: false,
    });
    expect(config.engine.orderDeadlineMs).toBe(2500);
  });

  it('names file:line:col and the field path of a bad value', () => {
    const text = valid.replace('factor: 2', 'factor: -2');
    const [issue] = issuesOf(text);
    expect(issue).toMatchObject({ file: 'cfg.yaml', path: 'followers[0].scaling.factor', line: 7 });
    expect(issue?.column).toBe(42);
  });

  it('points at an unknown key itself', () => {
    const text = `${valid}    maxqty: 3\n`;
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 8, column: 5, path: 'followers[0].maxqty' });
    expect(issues[0]?.message).toMatch(/maxqty/);
  });

  it('says "did you mean" for a mistyped key, at the top level and inside followers', () => {
    const text = `${valid.replace('followers:', 'folowers: []\nfollowers:').replace('scaling:', 'scalng:')}`;
    const messages = issuesOf(text).map((i) => `${i.path}: ${i.message}`);
    expect(messages).toContain('folowers: unknown key "folowers" (did you mean followers?)');
    expect(messages).toContain('followers[0].scalng: unknown key "scalng" (did you mean scaling?)');
    const far = issuesOf(`${valid}    zzzzzz: 3\n`)[0]?.message;
    expect(far).toBe('unknown key "zzzzzz"');
  });

  it('points at a missing field through its parent', () => {
    const text = valid.replace('    account: A1\n', '');
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('followers[0].account');
    expect(issue?.line).toBe(5);
  });

  it('reports every problem, not just the first', () => {
    const text = valid.replace('factor: 2', 'factor: 0').replace('account: L1', 'account: ""');
    expect(issuesOf(text).length).toBeGreaterThanOrEqual(2);
  });

  it('reports YAML syntax errors with a position', () => {
    const [issue] = issuesOf('leader:\n  account: [unclosed\n');
    expect(issue?.message).toMatch(/^YAML/);
    expect(issue?.line).toBeGreaterThanOrEqual(2);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own reference syntax
  it('resolves ${env:NAME} and names a missing variable with its position', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own reference syntax
    const text = valid.replace('account: A1', 'account: ${env:ACCT}');
    expect(parseConfigText(text, 'cfg.yaml', { env: { ACCT: 'X9' } }).config.followers[0]?.account).toBe(
      'X9',
    );
    const [issue] = issuesOf(text);
    expect(issue?.message).toContain('ACCT is not set');
    expect(issue).toMatchObject({ line: 6, path: 'followers[0].account' });
  });

  it('refuses duplicate follower names', () => {
    const text = `${valid}  - name: a\n    account: A2\n`;
    const [issue] = issuesOf(text);
    expect(issue?.message).toMatch(/duplicate follower name "a"/);
    expect(issue?.line).toBe(8);
  });
});
