#!/usr/bin/env node
import { main } from './main.js';

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// Let stdout drain before exiting: a piped --json report must arrive whole.
process.stdout.write('', () => process.exit(code));
