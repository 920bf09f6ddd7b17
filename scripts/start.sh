#!/bin/sh
# `npm start`: compiles src/ into dist/ (incrementally: a few seconds when nothing changed) and runs
# the compiled server in this process's place, with the memory settings of `npm run start:built`.
#
# Compiled JavaScript rather than TypeScript through tsx: tsx's loader runs in a second V8 isolate on
# a thread of its own, with source maps, which cost the server about 40 MB of RSS idle (160 against
# 115–120 MB after its first start), and its launcher was another node process of about 50 MB.
# `npm run dev` still runs the sources with tsx (reloading on change).
set -eu
cd "$(dirname "$0")/.."
if command -v tsc >/dev/null 2>&1; then
  tsc -p tsconfig.build.json
elif [ ! -f dist/src/server.js ]; then
  echo "npm start: dist/ is not built and TypeScript (a dev dependency) is not installed: run npm install, or npm run build where it is." >&2
  exit 1
else
  echo "npm start: TypeScript is not installed; running dist/ as last built." >&2
fi
# glibc's malloc arenas and V8's young generation, kept small (see README, Performance).
MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" exec node --max-semi-space-size=8 dist/src/server.js
