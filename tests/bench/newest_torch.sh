#!/usr/bin/env bash
# The test suite on the newest torch pip will install here, in a throwaway venv (not CI: it can
# download several GB, the NVIDIA build where that is the newest on offer).
#
#     bash tests/bench/newest_torch.sh [VENV_DIR]        # default /tmp/ganstudio-newest-torch
#
# CI runs the suite on the CPU build of torch that this machine's disk holds (see .ci/run);
# this script is how a session checks the newest release before users meet it.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${1:-/tmp/ganstudio-newest-torch}
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade torch
"$venv/bin/python" -m pip install -q -e ".[test]"
"$venv/bin/python" -c "import torch; print('torch', torch.__version__)"
"$venv/bin/python" -m pytest -q
