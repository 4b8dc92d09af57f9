# One image for every app service in docker-compose.yml: web (gunicorn), worker and render (Celery) and the
# one-shot migrate. Checked without a Docker engine by crbn_portal/tests/test_compose.py.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (53 and later) lays out with pango and harfbuzz and writes PDF itself, so cairo is not needed.
# libharfbuzz-subset0 subsets embedded fonts: without it every report renders about 0.3 s slower (DESIGN.md).
# Slim images ship no fonts: DejaVu gives a sans-serif for @page and margin boxes, and Liberation stands in, with
# the same metrics, for the Arial/Helvetica the stylesheets ask for.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid, so the named media volume keeps one owner across rebuilds. A home directory, because gunicorn
# (25.1 and later) keeps its control socket in ~/.gunicorn.
RUN groupadd --system --gid 10001 crbn \
    && useradd --system --uid 10001 --gid crbn --create-home --home-dir /home/crbn crbn

WORKDIR /app

# Requirements before the code, so a code change does not reinstall every package.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root: the app user can read it but not change it.
COPY . .

# Not secrets: where static files, var/ and uploads live, the same at build time and at run time.
ENV STATIC_ROOT=/app/staticfiles \
    CRBN_VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media

# collectstatic runs in production mode, because only there does settings choose WhiteNoise's manifest storage:
# a development-mode run writes no staticfiles.json, and every production page using {% static %} then fails
# with "Missing staticfiles manifest entry". The key, host and database here exist for this one command and are not kept
# in the image's environment; compose supplies the real ones at run time.
# /data/media is created owned by the app user so a fresh named volume mounted there inherits that owner.
RUN DJANGO_ENV=production SECRET_KEY=build-only-never-used-at-run-time ALLOWED_HOSTS=build.invalid \
        DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/var /data/media \
    && chown crbn:crbn /app/var /data/media

# Safe by default: an image started without compose refuses to run until it is given SECRET_KEY and ALLOWED_HOSTS.
ENV DJANGO_ENV=production

USER crbn
EXPOSE 8000

# No HEALTHCHECK here: the Celery containers share this image and serve no HTTP; compose checks web itself.
CMD ["gunicorn", "crbn_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]
