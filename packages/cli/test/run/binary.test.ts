import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@tradenova/core/testing';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const built = existsSync(bin);
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

// These run the built CLI (npm run build -w tradenova); without a build they are skipped, loudly.
describe.skipIf(!built)('the built binary', () => {
  it('demo --json --duration 3 prints JSON lines with copied fills and a clean shutdown', () => {
    const out = execFileSync(process.execPath, [bin, 'demo', '--json', '--duration', '3'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; unaccounted?: unknown[] });
    expect(lines.some((l) => l.type === 'order-filled')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'session-stopped', unaccounted: [] });
  });

  it('sim ninjatrader (a folder, no socket) serves until Ctrl-C, then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-nt-sim-'));
    const child = spawn(process.execPath, [bin, 'sim', 'ninjatrader', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    let exited: number | null | undefined;
    child.on('exit', (code) => {
      exited = code;
    });
    try {
      await waitFor(() => (out.includes('Press Ctrl-C') ? true : undefined), {
        message: 'the simulator to start',
        timeout: 15_000,
        interval: 100,
        context: () => out,
      });
      // It serves: an order instruction file gets its order-state file back. Before the fix Node
      // left with exit 13 right after start-up, and the order was never answered.
      writeFileSync(
        join(dir, 'incoming', 'oif1.txt'),
        'PLACE;Sim101;MNQ 12-26;BUY;1;LIMIT;100;0;DAY;;T1;;\n',
      );
      const state = join(dir, 'outgoing', 'T1.txt');
      await waitFor(
        () => (existsSync(state) && readFileSync(state, 'utf8').startsWith('WORKING') ? true : undefined),
        {
          message: 'the order-state file',
          timeout: 10_000,
          interval: 100,
          context: () => `${out}\nexit ${exited}`,
        },
      );
      expect(exited, out).toBeUndefined();
      const done = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = await done;
      expect(code, out).toBe(0);
      expect(out).toContain('ninjatrader simulator stopped');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasTmux)(
    'the dashboard in a real terminal: a copied fill shows, p pauses, f+y flattens, q quits',
    async () => {
      const session = `tn-test-${process.pid}`;
      const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
      const pane = () => tmux('capture-pane', '-p', '-t', session);
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '120',
        '-y',
        '45',
        // CI=false: Ink draws only a final frame when it thinks it runs in CI, and this test runs in CI.
        `CI=false NO_COLOR=1 ${process.execPath} ${bin} demo --duration 30; echo "EXITED rc=$?"; sleep 30`,
      );
      try {
        await waitFor(() => (/ filled +buy/.test(pane()) ? true : undefined), {
          message: 'a copied fill on screen',
          timeout: 10_000,
          interval: 100,
          context: pane,
        });
        // The first row is selected; wait until it holds a position, then pause it.
        await waitFor(() => (/› f01\S* +paper +up +enabled +\S+[+-]\d/.test(pane()) ? true : undefined), {
          message: 'a position in the first row',
          timeout: 8_000,
          interval: 100,
          context: pane,
        });
        tmux('send-keys', '-t', session, 'p');
        await waitFor(() => (/› f01\S* +paper +up +paused/.test(pane()) ? true : undefined), {
          message: 'the first row paused',
          timeout: 3_000,
          interval: 100,
          context: pane,
        });
        tmux('send-keys', '-t', session, 'f');
        await waitFor(() => (pane().includes('(y/n)') ? true : undefined), {
          message: 'the flatten question',
          timeout: 3_000,
          interval: 100,
          context: pane,
        });
        tmux('send-keys', '-t', session, 'y');
        await waitFor(() => (/› f01\S* +paper +up +paused +flat /.test(pane()) ? true : undefined), {
          message: 'the first row flat',
          timeout: 5_000,
          interval: 100,
          context: pane,
        });
        tmux('send-keys', '-t', session, 'q');
        const exited = await waitFor(() => /EXITED rc=(\d+)/.exec(pane())?.[1], {
          message: 'the process to exit',
          timeout: 10_000,
          interval: 100,
          context: pane,
        });
        expect(exited).toBe('0');
      } finally {
        spawnSync('tmux', ['kill-session', '-t', session]);
      }
    },
  );

  it.skipIf(!hasTmux)(
    'the dashboard fits 80x24 (compact), 120x40 and 200x60: no wrapped line, the header on top, the keys at the bottom',
    async () => {
      const sizes = [
        [80, 24],
        [120, 40],
        [200, 60],
      ] as const;
      const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
      const name = (w: number) => `tn-size-${process.pid}-${w}`;
      // -J joins a line the terminal wrapped back into one, so a wrapped line shows as too long.
      const pane = (w: number) => tmux('capture-pane', '-p', '-J', '-t', name(w));
      for (const [w, h] of sizes) {
        tmux(
          'new-session',
          '-d',
          '-s',
          name(w),
          '-x',
          String(w),
          '-y',
          String(h),
          `CI=false NO_COLOR=1 ${process.execPath} ${bin} demo --duration 40 --no-journal; sleep 30`,
        );
      }
      try {
        for (const [w, h] of sizes) {
          // Wait for a busy screen: a copied fill and the order log filled past its height.
          const screen = await waitFor(
            () => {
              const text = pane(w);
              return /filled [1-9]/.test(text) && /follower orders \(last (\d{2,})\)/.test(text)
                ? text
                : undefined;
            },
            {
              message: `a full dashboard at ${w}x${h}`,
              timeout: 30_000,
              interval: 100,
              context: () => pane(w),
            },
          );
          const lines = screen.replace(/\n+$/, '').split('\n');
          const show = `${w}x${h}:\n${screen}`;
          expect(
            lines.filter((l) => [...l].length > w),
            show,
          ).toEqual([]);
          expect(lines.length, show).toBeLessThanOrEqual(h);
          expect(lines[0], show).toMatch(/^TradeNova {2}session P&L /);
          expect(lines.at(-1), show).toMatch(/q quit$/);
          const table = lines.find((l) => l.includes('follower') && l.includes('status')) ?? '';
          expect(table, show).toMatch(/position +realized/);
          if (w === 80) {
            // Compact: the least useful columns dropped, long names cut with an ellipsis.
            expect(table, show).not.toMatch(/drift| ms /);
            expect(screen, show).toMatch(/› f01-\S*… /);
          } else {
            expect(table, show).toMatch(/ms drift$/);
          }
        }
      } finally {
        for (const [w] of sizes) spawnSync('tmux', ['kill-session', '-t', name(w)]);
      }
    },
    90_000,
  );
});
