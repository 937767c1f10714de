import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CliError } from '../../errors.js';
import type { PageAssets } from './page.js';

/**
 * uPlot (MIT, by Leon Sorokin), read from the installed package so the page can
 * inline it: the report then opens with no network. Its licence notice goes in too.
 */
export function loadChartAssets(): PageAssets {
  const require = createRequire(import.meta.url);
  try {
    const script = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    return {
      script: `/* uPlot, MIT licence, (c) Leon Sorokin */\n${script.replace(/<\/script/gi, '<\\/script')}`,
      css,
    };
  } catch (error) {
    throw new CliError(`--html needs the uplot package beside tradenova: ${(error as Error).message}`);
  }
}
