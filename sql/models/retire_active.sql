update model_versions set status = 'retired' where status = 'active'
