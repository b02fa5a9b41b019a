FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# WeasyPrint (the PDFs) needs Pango, HarfBuzz and fontconfig, and a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . \
    && DEBUG=true python manage.py collectstatic --no-input
RUN useradd --create-home involvement && mkdir -p /app/var && chown -R involvement /app/var
USER involvement
EXPOSE 8000
CMD ["gunicorn", "involvement.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
