#!/usr/bin/env bash
# Installed, not only in the repo: packs every workspace package, installs the tarballs into an
# empty folder with plain npm (no workspace, no links back into the checkout), and uses them there
# the way a user does: the CLI's help, every broker simulator, a replay through every example
# config's simulators, the demo, and examples/embed.ts type-checked (strict, module nodenext) and run.
# Needs the packages built (npm run build). Usage: bash scripts/pack-install.sh [--keep]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/use-node.sh
. "$root/scripts/use-node.sh"

keep=0
[ "${1:-}" = "--keep" ] && keep=1
work="$(mktemp -d "${TMPDIR:-/tmp}/tradenova-pack-XXXXXX")"
cleanup() {
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then echo "pack-install: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
start=$SECONDS
phase() { printf -- '-- pack-install: %s (%ss)\n' "$*" "$((SECONDS - start))"; }
fail() { printf 'pack-install: FAILED: %s\n' "$*" >&2; exit 1; }

phase "pack"
mkdir -p "$work/tarballs" "$work/app"
(cd "$root" && npm pack --workspaces --pack-destination "$work/tarballs" --silent >/dev/null)
ls "$work/tarballs"

phase "check the tarballs"
node "$root/scripts/check-packages.mjs" "$work/tarballs"

phase "release: changeset version in a temporary copy, npm publish --dry-run of every package"
# The pending changesets must version cleanly, and no package may be forced to a major by a peer
# range (adapters' peer range on core accepts its next minor).
release="$work/release"
mkdir -p "$release/packages"
cp -r "$root/package.json" "$root/package-lock.json" "$root/.changeset" "$release/"
for dir in "$root"/packages/*/; do
  name="$(basename "$dir")"
  mkdir -p "$release/packages/$name"
  cp "$dir/package.json" "$release/packages/$name/"
  [ -f "$dir/CHANGELOG.md" ] && cp "$dir/CHANGELOG.md" "$release/packages/$name/"
done
ln -s "$root/node_modules" "$release/node_modules"
(cd "$release" && node node_modules/@changesets/cli/bin.js version >changeset.log 2>&1) ||
  { cat "$release/changeset.log"; fail "changeset version failed"; }
node -e '
  const fs = require("fs"), semver = require(process.argv[1] + "/node_modules/semver");
  const dirs = fs.readdirSync(process.argv[2] + "/packages");
  const read = (root, d) => JSON.parse(fs.readFileSync(`${root}/packages/${d}/package.json`, "utf8"));
  const core = read(process.argv[2], "core").version;
  for (const d of dirs) {
    const before = read(process.argv[1], d), after = read(process.argv[2], d);
    console.log(`  ${after.name}: ${before.version} -> ${after.version}`);
    if (semver.major(after.version) !== semver.major(before.version)) throw new Error(`${after.name} would get a major bump`);
    const peer = after.peerDependencies?.["@tradenova/core"];
    if (peer && !semver.satisfies(core, peer)) throw new Error(`${after.name}: peer ${peer} rejects core ${core}`);
  }' "$root" "$release" || fail "changeset version gives a wrong release plan"
(cd "$root" && npm publish --dry-run --workspaces --ignore-scripts --loglevel=error >"$work/publish.log" 2>&1) ||
  { cat "$work/publish.log"; fail "npm publish --dry-run failed"; }
grep -c '^+ ' "$work/publish.log" | xargs printf '  npm publish --dry-run: %s packages\n'

phase "install into an empty folder (plain npm)"
cd "$work/app"
cat >package.json <<'JSON'
{ "name": "tradenova-user", "private": true, "type": "module" }
JSON
# The tarballs together (they depend on each other by version), plus what an SDK user adds to
# type-check TypeScript. --prefer-offline: CI's npm ci just filled the cache.
npm install --no-audit --no-fund --loglevel=error --prefer-offline \
  "$work"/tarballs/*.tgz "typescript@$(node -p "require('$root/node_modules/typescript/package.json').version")" \
  "@types/node@$(node -p "require('$root/node_modules/@types/node/package.json').version")"
[ -L node_modules/@tradenova/core ] && fail "@tradenova/core is a link, not an install"
tn() { node_modules/.bin/tradenova "$@"; }

phase "tradenova --help"
tn --help >help.txt || fail "tradenova --help exited $?"
grep -q 'Usage: tradenova' help.txt || fail "tradenova --help printed no usage"

phase "require() says the packages are ESM only"
node -e "require('@tradenova/core')" 2>require.txt && fail "require('@tradenova/core') succeeded"
grep -q 'ESM' require.txt || { cat require.txt; fail "require() of @tradenova/core did not say it is ESM only"; }

# Each simulator: started, answers on every endpoint it printed, stopped by SIGINT with exit 0.
probe='
const [kind, where] = process.argv.slice(1);
const net = await import("node:net"), fs = await import("node:fs");
const tcp = (host, port) => new Promise((ok, ko) => {
  const s = net.connect(Number(port), host, () => { s.destroy(); ok(); }); s.on("error", ko);
});
if (/^https?:/.test(where)) { const r = await fetch(where); await r.arrayBuffer(); console.log(kind, where, "HTTP", r.status); }
else if (/^wss?:/.test(where)) { const u = new URL(where); await tcp(u.hostname, u.port); console.log(kind, where, "open"); }
else if (/^[\d.]+:\d+/.test(where)) { const [h, p] = where.split(/[: ]/); await tcp(h, p); console.log(kind, where, "open"); }
else if (fs.statSync(where.split(" ")[0]).isDirectory()) console.log(kind, where, "folder");
'
# Every broker `sim --help` lists (so a new simulator is covered without editing this script).
brokers="$(tn sim --help | sed -n 's/^Brokers: //p' | sed 's/ ([^)]*)//g; s/,/ /g')"
[ -n "$brokers" ] || fail "sim --help lists no brokers"
for broker in $brokers; do
  phase "tradenova sim $broker"
  out="sim-$broker.txt"
  : >"$out"
  node_modules/.bin/tradenova sim "$broker" >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do grep -q 'Press Ctrl-C' "$out" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  grep -q 'Press Ctrl-C' "$out" || { cat "$out"; fail "sim $broker did not start"; }
  # Endpoint lines: two spaces, a name, then a URL, host:port or folder.
  sed -n 's/^  \([a-z]*\) *\(\(https\?\|wss\?\):\/\/[^ ]*\|[0-9.]*:[0-9][0-9]*\|\/[^ ]*\).*/\1 \2/p' "$out" >endpoints.txt
  [ -s endpoints.txt ] || { cat "$out"; fail "sim $broker printed no endpoint"; }
  while read -r kind where; do
    node --input-type=module -e "$probe" "$kind" "$where" || fail "sim $broker: $kind $where does not answer"
  done <endpoints.txt
  kill -INT "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; cat "$out"; fail "sim $broker did not stop on Ctrl-C"; }
  rc=0; wait "$pid" || rc=$?
  [ "$rc" = 0 ] || { cat "$out"; fail "sim $broker exited $rc on Ctrl-C"; }
  grep -q 'stopped' "$out" || { cat "$out"; fail "sim $broker did not say it stopped"; }
done

# Every example config through its brokers' simulators (the demo config is a live run).
cp -r "$root/examples" ./examples
for config in examples/*.yaml; do
  case "$config" in examples/demo.yaml) continue ;; esac
  phase "replay --brokers simulated -c $config"
  rc=0
  tn replay examples/signals/session.jsonl -c "$config" --brokers simulated --json --out "report-$(basename "$config" .yaml).json" >/dev/null 2>replay.err || rc=$?
  [ "$rc" = 0 ] || { cat replay.err; fail "replay with $config exited $rc"; }
  node -e "const r=require('./report-$(basename "$config" .yaml).json'); if(!r.accounts||!r.accounts.length) process.exit(1)" ||
    fail "replay with $config wrote a report without accounts"
done

phase "demo --json --duration 5"
rc=0
tn demo --json --duration 5 >demo.jsonl 2>demo.err || rc=$?
[ "$rc" = 0 ] || { tail -20 demo.err; fail "demo exited $rc"; }
grep -q '"order-filled"' demo.jsonl || { tail -5 demo.jsonl; fail "the demo filled no order"; }

phase "examples/embed.ts as an SDK user: strict tsc (module nodenext), then run"
cp "$root/examples/embed.ts" embed.ts
cat >tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2023",
    "lib": ["ES2023"],
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "exactOptionalPropertyTypes": true,
    "verbatimModuleSyntax": true,
    "types": ["node"],
    "noEmit": true
  },
  "files": ["embed.ts"]
}
JSON
node_modules/.bin/tsc -p tsconfig.json || fail "embed.ts does not type-check against the installed @tradenova/core"
node embed.ts >embed.txt || fail "embed.ts exited $?"
grep -q 'filled' embed.txt || { cat embed.txt; fail "embed.ts filled nothing"; }

phase "done"
