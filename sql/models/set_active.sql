update model_versions set status = 'active', activated_at = now() where version = :version
