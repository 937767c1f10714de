import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { CliError } from '../errors.js';

/**
 * Asks for a line on a terminal without echoing it (a passphrase, a secret
 * value). The prompt goes to `output` (stderr, so stdout stays clean for
 * pipes); what is typed is swallowed instead of echoed. Ctrl-C cancels.
 */
export async function promptHidden(
  question: string,
  input: NodeJS.ReadableStream & { isTTY?: boolean },
  output: NodeJS.WritableStream,
): Promise<string> {
  if (!input.isTTY) throw new CliError(`cannot ask "${question.trim()}": stdin is not a terminal`);
  output.write(question);
  // readline echoes through its output stream; a stream that drops everything hides the typing.
  const silent = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  const rl = createInterface({ input, output: silent, terminal: true });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      rl.once('SIGINT', () => reject(new CliError('cancelled')));
      rl.question('').then(resolve, reject);
    });
    return answer;
  } finally {
    rl.close();
    output.write('\n');
  }
}
