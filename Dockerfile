# The lampung-geo API. PostGIS runs as its own service (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY geo_api ./geo_api
COPY layers ./layers
COPY routing ./routing
COPY web ./web
COPY data ./data
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["lampung-geo", "demo", "--serve", "--host", "0.0.0.0", "--port", "8000"]
