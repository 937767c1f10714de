// Checks packed tarballs the way the registry will serve them: every package has a LICENSE, a
// README whose links work on the registry (absolute), the metadata fields, no src/, export and bin
// targets that are all in the tarball, a require() condition that explains ESM only, and peer
// ranges on @tradenova/core that accept core's next minor.
// Usage: node scripts/check-packages.mjs <folder of .tgz files>
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const semver = require('semver');

const folder = process.argv[2];
if (!folder) {
  console.error('usage: node scripts/check-packages.mjs <folder of .tgz files>');
  process.exit(2);
}
const tarballs = readdirSync(folder).filter((f) => f.endsWith('.tgz'));
const problems = [];
const manifests = new Map();

for (const tgz of tarballs) {
  const dir = mkdtempSync(join(tmpdir(), 'tn-check-'));
  try {
    execFileSync('tar', ['-xzf', join(folder, tgz), '-C', dir]);
    const pkg = join(dir, 'package');
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    manifests.set(manifest.name, manifest);
    const files = execFileSync('tar', ['-tzf', join(folder, tgz)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    const bad = (what) => problems.push(`${manifest.name} (${tgz}): ${what}`);

    for (const file of ['LICENSE', 'README.md', 'package.json'])
      if (!files.includes(file)) bad(`${file} is not in the tarball`);
    if (
      existsSync(join(pkg, 'LICENSE')) &&
      !/Apache License\s+Version 2\.0/.test(readFileSync(join(pkg, 'LICENSE'), 'utf8'))
    )
      bad('LICENSE is not the Apache-2.0 text');
    const src = files.filter((f) => f.startsWith('src/'));
    if (src.length) bad(`ships ${src.length} file(s) under src/ (source maps carry their sources)`);
    for (const field of ['description', 'license', 'repository', 'homepage', 'bugs', 'keywords'])
      if (manifest[field] === undefined || (Array.isArray(manifest[field]) && !manifest[field].length))
        bad(`package.json has no "${field}"`);
    if (manifest.license !== 'Apache-2.0') bad(`license is ${manifest.license}, not Apache-2.0`);

    // Every target of every condition must be in the tarball; workspace-only conditions must not be.
    const walk = (value, where) => {
      if (typeof value === 'string') {
        if (value.startsWith('./') && !value.includes('*') && !files.includes(value.slice(2)))
          bad(`exports ${where} -> ${value}: not in the tarball`);
        return;
      }
      if (!value || typeof value !== 'object') return;
      for (const [key, inner] of Object.entries(value)) {
        if (key.startsWith('@')) bad(`exports ${where} has the workspace condition "${key}"`);
        walk(inner, `${where}[${key}]`);
      }
    };
    walk(manifest.exports, '');
    for (const [sub, entry] of Object.entries(manifest.exports ?? {})) {
      if (sub.endsWith('package.json') || typeof entry !== 'object') continue;
      const keys = Object.keys(entry);
      if (!keys.includes('require')) bad(`exports["${sub}"] has no "require" condition (ESM-only message)`);
      if (keys.includes('types') && keys.indexOf('types') !== 0)
        bad(`exports["${sub}"]: "types" must come first`);
    }
    for (const [name, target] of Object.entries(
      typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {}),
    ))
      if (!files.includes(target.replace(/^\.\//, ''))) bad(`bin ${name} -> ${target}: not in the tarball`);

    // The registry shows the README without the repository around it: relative links break there.
    const readme = existsSync(join(pkg, 'README.md')) ? readFileSync(join(pkg, 'README.md'), 'utf8') : '';
    for (const [, target] of readme.matchAll(/\]\(([^)\s]+)[^)]*\)/g))
      if (!/^(https?:|mailto:|#)/.test(target)) bad(`README.md links to "${target}", which is not absolute`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A plugin built against core 0.x keeps working when core's next minor comes out.
const core = manifests.get('@tradenova/core');
if (core) {
  const nextMinor = semver.inc(core.version, 'minor');
  for (const [name, manifest] of manifests) {
    const range = manifest.peerDependencies?.['@tradenova/core'];
    if (range && !semver.satisfies(nextMinor, range))
      problems.push(`${name}: peer range "${range}" on @tradenova/core does not accept ${nextMinor}`);
    if (range && !semver.satisfies(core.version, range))
      problems.push(`${name}: peer range "${range}" on @tradenova/core does not accept ${core.version}`);
  }
}

if (problems.length) {
  console.error(`${problems.length} problem(s) in the packed packages:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`${tarballs.length} tarballs: LICENSE, README, metadata, exports, bin, peer ranges ok`);
