// API reports for @tradenova/core: one per entry point of its package.json `exports` (the root is
// api/core.api.md, a subpath is api/core-<name>.api.md). `--local` rewrites the reports (api:update);
// without it a report that differs from the built surface fails (api:check, CI).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const core = fileURLToPath(new URL('../packages/core/', import.meta.url));
const local = process.argv.includes('--local');
const base = ExtractorConfig.loadFile(`${core}api-extractor.json`);
const manifest = JSON.parse(readFileSync(`${core}package.json`, 'utf8'));
const entries = Object.keys(manifest.exports)
  .filter((key) => key !== './package.json')
  .map((key) => (key === '.' ? '' : key.slice(2)));

let failed = 0;
for (const entry of entries) {
  const dts = entry ? `dist/${entry}/index.d.ts` : 'dist/index.d.ts';
  const configObject = {
    ...base,
    mainEntryPointFilePath: `<projectFolder>/${dts}`,
    compiler: {
      ...base.compiler,
      overrideTsconfig: { ...base.compiler.overrideTsconfig, files: [dts] },
    },
    apiReport: { ...base.apiReport, reportFileName: entry ? `core-${entry}` : 'core' },
  };
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: `${core}api-extractor.json`,
    packageJsonFullPath: `${core}package.json`,
  });
  const result = Extractor.invoke(config, { localBuild: local, showVerboseMessages: false });
  const name = entry ? `@tradenova/core/${entry}` : '@tradenova/core';
  if (!result.succeeded) {
    failed += 1;
    console.error(
      `${name}: the API report differs from the built surface (${result.errorCount} errors, ${result.warningCount} warnings)`,
    );
  } else if (result.apiReportChanged) console.log(`${name}: report updated`);
}
if (failed > 0) {
  console.error('After a deliberate change run `npm run api:update` and commit packages/core/api/.');
  process.exitCode = 1;
}
