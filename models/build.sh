#!/usr/bin/env bash
# Rebuild the default model from scratch: tokenizer, training (~18 minutes on 2 CPU cores),
# ONNX export, golden fixtures. Python is a build-time tool here only; lmscope never needs it.
#   sudo apt-get install -y --no-install-recommends python3-torch python3-onnx libopenblas0-openmp bible-kjv-text bible-kjv
#   models/build.sh
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3   # Debian's interpreter, which has python3-torch (another python3 may come first on PATH)
"$PY" train.py "$@"
"$PY" export.py
"$PY" classifier.py   # the encoder-classifier test model, models/classifier (~6 minutes)
