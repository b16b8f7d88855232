-- Register a trained version (its scores and forecasts follow in the same transaction).
insert into model_versions (version, status, trained_by, data_start, data_end, row_counts, metrics,
                            library_versions, files, notes)
values (:version, :status, :trained_by, :data_start, :data_end, cast(:row_counts as jsonb), cast(:metrics as jsonb),
        cast(:library_versions as jsonb), cast(:files as jsonb), :notes)
