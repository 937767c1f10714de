import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { commandPaths } from '../src/help.js';
import { main } from '../src/main.js';
import { buildProgram } from '../src/program.js';
import { captureIo } from './capture-io.js';

async function run(args: string[]) {
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

const program = buildProgram({ stdout: new PassThrough(), stderr: new PassThrough() }, { exitCode: 0 });
const paths = commandPaths(program).filter((p) => !p.endsWith('help'));

describe('--help', () => {
  it.each(paths.map((p) => [p || '(tradenova)', p]))('%s shows examples and exit codes', async (_, path) => {
    const { code, stdout } = await run([...(path ? path.split(' ') : []), '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\nExamples:\n {2}\$ tradenova /);
    expect(stdout).toMatch(/\nExit codes:\n(.*\n)* {2}70 {2}an internal error/);
    expect(stdout).toMatch(/ {3}0 {2}\S/);
  });

  it('sim --help lists every broker it can simulate', async () => {
    const { stdout } = await run(['sim', '--help']);
    expect(stdout).toMatch(/Brokers: tradovate, projectx, rithmic, ninjatrader, sierrachart, fix, dxfeed/);
  });
});

describe('mistakes', () => {
  it('a mistyped command gets a did-you-mean and exit 2', async () => {
    const { code, stderr } = await run(['replya']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command 'replya'\n\(Did you mean replay\?\)/);
  });

  it('a mistyped broker for sim gets a did-you-mean and exit 2', async () => {
    const { code, stderr } = await run(['sim', 'tradovat']);
    expect(code).toBe(2);
    expect(stderr).toContain('no simulator for broker "tradovat" (did you mean tradovate?)');
  });

  it('a missing config is "file not found: <path>", exit 2', async () => {
    for (const args of [
      ['validate', '-c'],
      ['replay', 'x.jsonl', '-c'],
    ]) {
      const { code, stderr } = await run([...args, '/no/such/tradenova.yaml']);
      expect(code).toBe(2);
      expect(stderr).toBe('tradenova: file not found: /no/such/tradenova.yaml\n');
    }
  });
});

describe('a file that is not there, wherever it is opened', () => {
  it('is "file not found: <path>", exit 2, not an internal error', async () => {
    const { describeFailure } = await import('../src/errors.js');
    const error = Object.assign(new Error("ENOENT: no such file or directory, open '/x/y.csv'"), {
      code: 'ENOENT',
      path: '/x/y.csv',
    });
    expect(describeFailure(error)).toEqual({ message: 'file not found: /x/y.csv', exitCode: 2 });
  });
});
