# RNN Explorer: the Streamlit app and its numpy core, served on port 8501.
#
#   docker build -t rnn-explorer .
#   docker run --rm -p 8501:8501 rnn-explorer            # then open http://localhost:8501
#   docker run --rm -p 8501:8501 -e RNNX_MAX_HIDDEN=128 -e RNNX_MAX_SECONDS=300 rnn-explorer
#
# docs/DEPLOY.md explains every setting below.
FROM python:3.11-slim

# Streamlit: no usage statistics, no browser to open, and a named server address: without
# one, a headless server listening on 0.0.0.0 asks checkip.amazonaws.com for its external IP
# at start, only to print an "External URL". No file watcher: the code does not change
# under a hosted server, and watching it costs CPU. The allocator and BLAS settings are the
# ones ui/services/runtime.py applies per process (mallopt, threadpoolctl), here from the first
# allocation on: glibc reads MALLOC_*_ at start, OpenBLAS reads its thread count at load.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_SERVER_ADDRESS=localhost \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    MALLOC_MMAP_THRESHOLD_=33554432 \
    MALLOC_TRIM_THRESHOLD_=33554432 \
    MALLOC_ARENA_MAX=2 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1

# Hosted limits (ui/services/limits.py), one per variable; unset = the default shown. Set them here
# or with `docker run -e`:
# ENV RNNX_MAX_HIDDEN=256         largest hidden size a user may pick
# ENV RNNX_MAX_STEPS=20000        step budget ceiling of one run
# ENV RNNX_MAX_SECONDS=600        training seconds of one run
# ENV RNNX_SLICE_SECONDS=0.4      longest training slice between two redraws
# ENV RNNX_REDRAW_SECONDS=0.5     live-chart refresh period (at most 2 redraws/s)
# ENV RNNX_TRAIN_REDRAW_SECONDS=0.25  the Train page's live frame period (at most 4 redraws/s)
# ENV RNNX_HISTORY_ROWS=4000      metric rows kept per run (thinned beyond)
# ENV RNNX_SNAPSHOTS=40           probe snapshots kept per run (thinned beyond)
# ENV RNNX_TRAIN_SLOTS=1          training chunks running at once, all sessions (fair share)
# ENV RNNX_MAX_CHECKPOINT_MB=20   largest model file (.npz) a user may load, in MB (above 20,
#                                 raise STREAMLIT_SERVER_MAX_UPLOAD_SIZE with it)
# ENV RNNX_MAX_CSV_MB=5           largest CSV file a user may train on, in MB (at most 5)

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. Every pin has a manylinux wheel
# for CPython 3.11: no compiler, no apt packages.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The app (see .dockerignore: no tests, benchmarks, git history or caches). The files stay
# owned by root: the server runs as `app` and cannot change its own code.
COPY . .

USER app

EXPOSE 8501

# No curl in the slim image: ask Streamlit's health endpoint with Python.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"]

CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
