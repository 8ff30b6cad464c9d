# Sourced by the scripts: use the active virtual environment, else the project's .venv.
# VOXTWIN_NO_VENV=1 uses the current interpreter as it is (e.g. inside a container).
if [ -z "${VIRTUAL_ENV:-}" ] && [ "${VOXTWIN_NO_VENV:-0}" != "1" ]; then
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  # shellcheck disable=SC1091
  source .venv/bin/activate
fi
