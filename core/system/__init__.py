"""Operations: health checks, backups and restores, and the Prometheus exporter.

    health     the checks behind `oyna health` and the System page
    pgtools    finding pg_dump/pg_restore whose major version matches the server's
    backup     `oyna db backup` and `oyna db restore`: one archive with the dump, the model files
               and a manifest
    exporter   `oyna serve --metrics-port`: every process's metrics plus the health gauges
    service    what the System page calls (permissions checked here)
"""
