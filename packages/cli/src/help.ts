import type { Command } from 'commander';
import { simulatedBrokers } from './brokers/simulators.js';

/** What every `--help` ends with: examples to copy, and what the exit code means. */
interface HelpFooter {
  examples: string[];
  /** Exit codes besides 70 (an internal error, a bug), which every command shares. */
  exits: Record<number, string>;
}

const BAD_INPUT = 'bad input: a flag, a config (file:line:col), a file not found';
const SERVICE = 'bad input, or a configured service (Kafka, PostgreSQL, Redis) that does not answer';

/**
 * Examples and exit codes per command path ("accounts set"); docs/cli.md has the full table.
 * A command added without an entry fails the help test (packages/cli/test/help.test.ts).
 */
const FOOTERS: Record<string, HelpFooter> = {
  '': {
    examples: [
      'tradenova demo                      watch it copy live, no accounts needed',
      'tradenova init                      write a config (asks on a terminal)',
      'tradenova replay examples/signals/session.jsonl -c examples/paper.yaml',
      'tradenova run -c tradenova.yaml     copy live',
    ],
    exits: { 0: 'ok', 1: 'finished but not clean (see the command)', 2: BAD_INPUT },
  },
  replay: {
    examples: [
      'tradenova replay session.jsonl -c tradenova.yaml',
      'tradenova replay session.csv -c tradenova.yaml --json --out report.json',
      'tradenova replay session.jsonl -c tradenova.yaml --expect expected.json',
      'tradenova replay session.jsonl -c examples/fix.yaml --brokers simulated',
    ],
    exits: {
      0: 'clean: every signal read, nothing blocked, --expect matches',
      1: 'not clean: a risk rule blocked an order, a bad signal line, or --expect differs',
      2: `${BAD_INPUT}; with --strict a bad signal line`,
    },
  },
  sim: {
    examples: [
      'tradenova sim tradovate --port 8081',
      'tradenova sim ninjatrader --dir ./nt8',
      'tradenova sim fix --accounts FIX1,FIX2',
    ],
    exits: { 0: 'stopped with Ctrl-C', 2: 'an unknown broker, or the port is taken' },
  },
  chaos: {
    examples: [
      'tradenova chaos -c tradenova.yaml --runs 3 --seed 11',
      'tradenova chaos -c tradenova.yaml --faults kill9,cut-sockets --json',
    ],
    exits: {
      0: 'every run clean: no duplicate, nothing lost, no drift',
      1: 'a run found a duplicate, a lost order or drift (its seed replays it)',
      2: BAD_INPUT,
    },
  },
  validate: {
    examples: ['tradenova validate -c tradenova.yaml'],
    exits: { 0: 'the config is valid', 2: 'every problem is printed with file:line:col' },
  },
  schema: {
    examples: ['tradenova schema > config.schema.json'],
    exits: { 0: 'printed' },
  },
  init: {
    examples: [
      'tradenova init',
      'tradenova init --broker tradovate --leader DEMO100 --follower DEMO101 --follower big=DEMO102',
      'tradenova init --leader tradovate:DEMO100 --follower rithmic:APEX-1 --out live.yaml --force',
    ],
    exits: {
      0: 'written',
      1: 'cancelled (Ctrl-C, Ctrl-D): nothing written',
      2: `${BAD_INPUT}, or the file exists`,
    },
  },
  run: {
    examples: [
      'tradenova run -c tradenova.yaml',
      'tradenova run -c tradenova.yaml --json --duration 600',
      'tradenova run -c tradenova.yaml --metrics 127.0.0.1:9464',
      'tradenova run -c tradenova.yaml --api 127.0.0.1:8081',
      'tradenova run -c tradenova.yaml --role gateway --api 127.0.0.1:8081',
    ],
    exits: { 0: 'a clean stop (q, Ctrl-C, SIGTERM, --duration)', 2: SERVICE },
  },
  demo: {
    examples: [
      'tradenova demo',
      'tradenova demo --json --duration 10',
      'tradenova demo --print-config > demo.yaml',
      'tradenova demo --api :8081       (with TRADENOVA_API_SIGNING_KEY set)',
    ],
    exits: { 0: 'a clean stop (q, Ctrl-C, --duration)', 2: SERVICE },
  },
  flatten: {
    examples: [
      'tradenova flatten -c tradenova.yaml',
      'tradenova flatten -c tradenova.yaml --account f01 --yes',
    ],
    exits: {
      0: 'every chosen account is flat',
      1: 'some account could not be flattened (listed)',
      2: BAD_INPUT,
    },
  },
  secrets: {
    examples: ['tradenova secrets set tradovate_password', 'tradenova secrets list'],
    exits: { 0: 'ok', 1: 'no such secret', 2: 'a missing or wrong vault key' },
  },
  'secrets set': {
    examples: [
      'tradenova secrets set tradovate_password',
      'printf %s "$TOKEN" | tradenova secrets set webhook_token',
    ],
    exits: { 0: 'stored', 2: 'a missing or wrong vault key' },
  },
  'secrets list': {
    examples: ['tradenova secrets list', 'tradenova secrets list --vault ./prod.vault'],
    exits: { 0: 'listed (names only)', 2: 'a missing or wrong vault key' },
  },
  'secrets rm': {
    examples: ['tradenova secrets rm old_token'],
    exits: { 0: 'removed', 1: 'no secret by that name', 2: 'a missing or wrong vault key' },
  },
  accounts: {
    examples: [
      'tradenova accounts -c tradenova.yaml',
      'tradenova accounts pause f01 -c tradenova.yaml',
      'tradenova accounts kill on --reason "news" -c tradenova.yaml',
    ],
    exits: { 0: 'ok', 1: 'some account has a problem (listed)', 2: SERVICE },
  },
  'accounts check': {
    examples: ['tradenova accounts check -c tradenova.yaml'],
    exits: {
      0: 'every account is reachable and may trade',
      1: 'some account has a problem (listed)',
      2: BAD_INPUT,
    },
  },
  'accounts pause': {
    examples: ['tradenova accounts pause f01 -c tradenova.yaml'],
    exits: { 0: 'paused in every running process', 2: SERVICE },
  },
  'accounts resume': {
    examples: ['tradenova accounts resume f01 -c tradenova.yaml'],
    exits: { 0: 'resumed in every running process', 2: SERVICE },
  },
  'accounts set': {
    examples: [
      'tradenova accounts set f01 scaling.factor=2 -c tradenova.yaml',
      'tradenova accounts set f01 risk.maxOrderQty=3 enabled=true -c tradenova.yaml',
      'tradenova accounts set f01 scaling=null -c tradenova.yaml',
    ],
    exits: { 0: 'applied', 2: SERVICE },
  },
  'accounts kill': {
    examples: [
      'tradenova accounts kill on --reason "FOMC" -c tradenova.yaml',
      'tradenova accounts kill off -c tradenova.yaml',
    ],
    exits: { 0: 'applied in every running process', 2: SERVICE },
  },
  'accounts show': {
    examples: ['tradenova accounts show -c tradenova.yaml --json'],
    exits: { 0: 'printed', 2: SERVICE },
  },
  api: {
    examples: [
      'tradenova api token create --scope read --name dashboard',
      'tradenova api token revoke 0b7c…-uuid -c tradenova.yaml',
    ],
    exits: { 0: 'ok', 2: `${BAD_INPUT}; no signing key, or one under 32 bytes` },
  },
  'api token': {
    examples: ['tradenova api token create --scope control --accounts f01,f02 --ttl 1h --name bot'],
    exits: { 0: 'ok', 2: `${BAD_INPUT}; no signing key, or one under 32 bytes` },
  },
  'api token create': {
    examples: [
      'tradenova api token create --scope control --accounts f01 --ttl 30m --name bot',
      'TOKEN=$(tradenova api token create --scope read --name dashboard | tail -1)',
    ],
    exits: {
      0: 'the token is the last stdout line',
      2: `${BAD_INPUT}; no signing key, or one under 32 bytes`,
    },
  },
  'api token revoke': {
    examples: ['tradenova api token revoke 0b7c…-uuid -c tradenova.yaml'],
    exits: { 0: 'revoked in every API process that shares the Redis', 2: SERVICE },
  },
  migrate: {
    examples: ['tradenova migrate --journal postgres://tn@127.0.0.1/tradenova'],
    exits: { 0: 'the journal is up to date', 2: SERVICE },
  },
  report: {
    examples: [
      'tradenova report --from 2025-11-24 --to 2025-11-25 -c tradenova.yaml',
      'tradenova report --from 2025-11-24T14:30Z --to 2025-11-24T21:00Z --account f01 --csv fills.csv',
    ],
    exits: { 0: 'printed', 2: SERVICE },
  },
};

/** The footer's text, or undefined when the command has none (the help test catches that). */
export function helpFooter(path: string, extra: string[] = []): string | undefined {
  const footer = FOOTERS[path];
  if (!footer) return undefined;
  const exits = { ...footer.exits, 70: 'an internal error (a bug): please report it' };
  return [
    '',
    ...extra,
    'Examples:',
    ...footer.examples.map((e) => `  $ ${e}`),
    '',
    'Exit codes:',
    ...Object.entries(exits).map(([code, meaning]) => `  ${code.padStart(2)}  ${meaning}`),
    '',
  ].join('\n');
}

/**
 * Adds examples and exit codes to every command's `--help`, walking the tree so commands
 * registered elsewhere get theirs too. `sim` also lists the brokers it can simulate.
 */
export function addHelpFooters(program: Command): void {
  const visit = (command: Command, path: string) => {
    const extra =
      path === 'sim' ? [`Brokers: ${[...simulatedBrokers(), 'dxfeed (market data)'].join(', ')}`, ''] : [];
    const text = helpFooter(path, extra);
    if (text) command.addHelpText('after', text);
    for (const sub of command.commands) {
      if (sub.name() === 'help') continue;
      visit(sub, path ? `${path} ${sub.name()}` : sub.name());
    }
  };
  visit(program, '');
}

/** Every command path in the tree, for the help test. */
export function commandPaths(program: Command): string[] {
  const out: string[] = [];
  const visit = (command: Command, path: string) => {
    out.push(path);
    for (const sub of command.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return out;
}
