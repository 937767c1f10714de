import type { EngineEvent } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/ui/app.js';
import { Dashboard, tableLayout } from '../../src/ui/components.js';
import type { KeyCommand } from '../../src/ui/keys.js';
import { type DashboardState, initialState, reduce } from '../../src/ui/state.js';
import { DashboardStore } from '../../src/ui/store.js';

const contract = { root: 'MNQ', month: 'Z' as const, year: 2025 };
const plain = { color: false };

function state(): DashboardState {
  let s = initialState([
    { follower: 'alpha', broker: 'paper', connection: 'paper', accountId: 'A1', enabled: true },
    { follower: 'beta', broker: 'tradovate', connection: 'tv', accountId: 'B1', enabled: true },
  ]);
  const events: EngineEvent[] = [
    { type: 'connection-status', time: 1, broker: 'tradovate', connection: 'tv', state: 'connected' },
    {
      type: 'order-filled',
      time: 2,
      follower: 'beta',
      execution: {
        executionId: 'x1',
        orderId: 'TV-7',
        broker: 'tradovate',
        accountId: 'B1',
        contract,
        side: 'buy',
        qty: 2,
        priceTicks: 84001,
        time: 2,
      },
    },
    {
      type: 'position-updated',
      time: 2,
      follower: 'beta',
      position: {
        accountId: 'B1',
        contract,
        netQty: 2,
        avgPrice: '21000.25',
        realizedPnl: 0,
        unrealizedPnl: 0,
      },
    },
    { type: 'account-status', time: 3, follower: 'alpha', accountId: 'A1', status: 'paused' },
  ];
  for (const event of events) s = reduce(s, { type: 'engine', event });
  return reduce(s, { type: 'leader', kind: 'order', time: 1, text: 'buy 2 MNQZ25 market (L1)' });
}

describe('Dashboard frame', () => {
  it('never draws a line wider than the terminal (a terminal would wrap it onto a line of its own)', () => {
    let s = state();
    for (let i = 0; i < 30; i++) {
      s = reduce(s, {
        type: 'leader',
        kind: 'modify',
        time: 10 + i,
        text: `move stop-loss of P${i} to 20990.25 and a long tail that cannot fit the panel`,
      });
    }
    const { lastFrame } = render(<Dashboard state={s} rows={45} theme={plain} />);
    const lines = (lastFrame() ?? '').split('\n');
    // ink-testing-library lays out 100 columns.
    const wide = lines.filter((l) => [...l].length > 100);
    expect(wide).toEqual([]);
    expect(lines.length).toBeLessThanOrEqual(45);
    expect(lines.filter((l) => /modify +move stop-loss/.test(l)).length, lines.join('\n')).toBeGreaterThan(0);
  });

  it('shows accounts, positions, the copied fill, the leader and the keys', () => {
    const { lastFrame } = render(<Dashboard state={state()} rows={40} theme={plain} />);
    const frame = lastFrame() ?? '';
    expect(frame).toMatch(/alpha\s+paper\s+—\s+paused\s+flat/);
    expect(frame).toMatch(/beta\s+tradovate\s+up\s+enabled\s+MNQZ25\+2/);
    expect(frame).toMatch(/beta\s+filled\s+buy 2 MNQZ25 @/);
    expect(frame).toMatch(/order +buy 2 MNQZ25 market/);
    expect(frame).toContain('tradovate ● 1/1 connected');
    expect(frame).toContain('p pause/resume');
    expect(frame).toContain('q quit');
  });

  it('asks before flattening, in place of the help line', () => {
    const s = reduce(state(), { type: 'ask', confirm: { kind: 'flatten', follower: 'beta' } });
    const frame = render(<Dashboard state={s} rows={40} theme={plain} />).lastFrame() ?? '';
    expect(frame).toContain('Flatten beta: cancel its orders and close its positions? (y/n)');
    expect(frame).not.toContain('q quit');
  });

  it('without colour the frame has no colour escapes', () => {
    const frame = render(<Dashboard state={state()} rows={40} theme={plain} />).lastFrame() ?? '';
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI foreground colours
    expect(frame).not.toMatch(/\u001b\[3[1-6]m/);
  });

  it('keys reach the controller as commands; selection moves', async () => {
    const store = new DashboardStore(state(), 0);
    const seen: KeyCommand[] = [];
    const { stdin, lastFrame } = render(
      <App
        store={store}
        controller={{
          run: (c) => {
            seen.push(c);
            if (c.type === 'select') store.dispatch({ type: 'select', delta: c.delta });
          },
        }}
        theme={plain}
      />,
    );
    await waitFor(() => stdin.listenerCount('readable') > 0, { message: 'the app to read stdin' });
    stdin.write('\u001b[B'); // down arrow
    await waitFor(() => /› beta/.test(lastFrame() ?? ''), {
      message: 'the selection on beta',
      context: () => lastFrame() ?? '',
    });
    stdin.write('p');
    await waitFor(() => seen.length >= 2, { message: 'the second key command' });
    expect(seen).toEqual([
      { type: 'select', delta: 1 },
      { type: 'toggle-pause', follower: 'beta' },
    ]);
    expect(lastFrame()).toMatch(/› beta/);
    store.close();
  });
});

describe('the accounts table at each width', () => {
  const width = (cols: ReturnType<typeof tableLayout>) =>
    cols.reduce((n, c) => n + c.width, 0) + cols.length - 1;
  it.each([80, 100, 120, 200])(
    'fits %i columns less one, dropping the least useful columns first',
    (cols) => {
      const layout = tableLayout(cols);
      expect(width(layout)).toBeLessThanOrEqual(cols - 1);
      const names = layout.map((c) => c.column.name);
      for (const kept of ['follower', 'status', 'position', 'realized']) expect(names).toContain(kept);
      if (cols === 80) expect(names).not.toContain('ms');
      if (cols >= 120) expect(names).toContain('drift');
    },
  );

  it('a narrow frame cuts long names with an ellipsis and no line is wider than 79', () => {
    const frame =
      render(<Dashboard state={state()} rows={24} columns={80} theme={plain} />).lastFrame() ?? '';
    expect(
      frame.split('\n').filter((l) => [...l].length > 79),
      frame,
    ).toEqual([]);
    expect(frame).toContain('q quit');
  });
});
