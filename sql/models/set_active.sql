update model_versions set status = 'active', activated_at = now(), activated_by = :by where version = :version
