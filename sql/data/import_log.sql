-- One line of the import log.
insert into data_imports (imported_by, started_at, seconds, file_name, file_format, source, club, result,
                          rows_read, rows_added, rows_updated, rows_skipped, rows_bad, customers_added,
                          customers_updated, seats_added, message, report)
values (:imported_by, :started_at, :seconds, :file_name, :file_format, :source, :club, :result, :rows_read,
        :rows_added, :rows_updated, :rows_skipped, :rows_bad, :customers_added, :customers_updated, :seats_added,
        :message, cast(:report as jsonb))
returning id
