"""Imports from club systems, the data's health, and the minimum data each model needs."""

# The largest file the app takes (server.maxUploadSize in .streamlit/config.toml, which `oyna serve` passes and
# the Data page's uploader states); a reverse proxy in front must let it through (docs/deploy.md).
MAX_UPLOAD_MB = 400
