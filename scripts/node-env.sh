# Sourced (bash) by scripts/setup.sh, scripts/up.sh and .ci/run: puts the project-local Node that scripts/setup.sh
# brings into .tools/node (when the machine's Node is older than the project supports) first on PATH, so `node`,
# `npm` and `npx` are that Node and its npm for the rest of the script. Without .tools/node it changes nothing.
_mlops_node_bin="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/node/bin"
if [ -x "$_mlops_node_bin/node" ]; then
  case ":$PATH:" in
    *":$_mlops_node_bin:"*) ;;
    *) PATH="$_mlops_node_bin:$PATH" && export PATH ;;
  esac
fi
unset _mlops_node_bin
