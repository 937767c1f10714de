// API reports for @tradenova/core: one per entry point of its package.json `exports` (the root is
// api/core.api.md, a subpath is api/core-<name>.api.md). `--local` rewrites the reports (api:update);
// without it a report that differs from the built surface fails (api:check, CI).
//
// Two things in API Extractor's output change from one build to the next without the surface
// changing, so the reports are compared after taking them out:
// - warnings name the bundler's chunk files, whose names carry a content hash that depends on the
//   checkout's path (`dist/outcome-TMlOpQh1.d.ts:100:5`): written as `dist/outcome.d.ts`;
// - members of some inferred object types come out in a different order: the lines are compared
//   as a sorted list, so a line added, removed or changed still fails the check.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const core = fileURLToPath(new URL('../packages/core/', import.meta.url));
const reports = join(core, 'api');
const local = process.argv.includes('--local');
const base = ExtractorConfig.loadFile(`${core}api-extractor.json`);
const manifest = JSON.parse(readFileSync(`${core}package.json`, 'utf8'));
const entries = Object.keys(manifest.exports)
  .filter((key) => key !== './package.json')
  .map((key) => (key === '.' ? '' : key.slice(2)));

/** A report with the chunk files' hashes and positions taken out. */
const normalized = (text) =>
  text.replace(/dist\/([\w.-]+?)-[A-Za-z0-9_-]{8}\.d\.ts:\d+:\d+/g, 'dist/$1.d.ts');
const sortedLines = (text) => text.split('\n').sort();

const scratch = mkdtempSync(join(tmpdir(), 'tn-api-report-'));
let failed = 0;
try {
  for (const entry of entries) {
    const dts = entry ? `dist/${entry}/index.d.ts` : 'dist/index.d.ts';
    const file = `${entry ? `core-${entry}` : 'core'}.api.md`;
    const configObject = {
      ...base,
      mainEntryPointFilePath: `<projectFolder>/${dts}`,
      compiler: {
        ...base.compiler,
        overrideTsconfig: { ...base.compiler.overrideTsconfig, files: [dts] },
      },
      // Written to a scratch folder, then compared or copied here after normalizing.
      apiReport: {
        ...base.apiReport,
        reportFileName: entry ? `core-${entry}` : 'core',
        reportFolder: scratch,
        reportTempFolder: scratch,
      },
    };
    const config = ExtractorConfig.prepare({
      configObject,
      configObjectFullPath: `${core}api-extractor.json`,
      packageJsonFullPath: `${core}package.json`,
    });
    const result = Extractor.invoke(config, { localBuild: true, showVerboseMessages: false });
    const name = entry ? `@tradenova/core/${entry}` : '@tradenova/core';
    if (result.errorCount > 0) {
      failed += 1;
      console.error(`${name}: API Extractor found ${result.errorCount} errors`);
      continue;
    }
    const built = normalized(readFileSync(join(scratch, file), 'utf8'));
    let kept = '';
    try {
      kept = readFileSync(join(reports, file), 'utf8');
    } catch {
      // No report yet.
    }
    if (local) {
      if (built !== kept) {
        writeFileSync(join(reports, file), built);
        console.log(`${name}: report updated`);
      }
      continue;
    }
    const was = sortedLines(normalized(kept));
    const now = sortedLines(built);
    if (was.join('\n') !== now.join('\n')) {
      failed += 1;
      const gone = was.filter((l) => !now.includes(l)).slice(0, 10);
      const added = now.filter((l) => !was.includes(l)).slice(0, 10);
      console.error(`${name}: the API report differs from the built surface (api/${file})`);
      for (const l of gone) console.error(`  - ${l}`);
      for (const l of added) console.error(`  + ${l}`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failed > 0) {
  console.error('After a deliberate change run `npm run api:update` and commit packages/core/api/.');
  process.exitCode = 1;
}
