FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# WeasyPrint (the PDFs) needs Pango, HarfBuzz and fontconfig, and a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# The image runs the site only. The test suite's accessibility checks also need Java (the Nu HTML
# Checker: apt-get install default-jre-headless), Node.js with npm (axe-core: npm ci) and Chromium;
# .ci/run installs them on the CI machine.
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . \
    && DEBUG=true python manage.py collectstatic --no-input
RUN useradd --create-home involvement && mkdir -p /app/var && chown -R involvement /app/var
USER involvement
EXPOSE 8000
# Workers and threads from gunicorn.conf.py (WEB_CONCURRENCY, WEB_THREADS): the connection budget.
CMD ["gunicorn", "involvement.wsgi:application"]
