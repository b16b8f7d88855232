-- Drop the activity log's months that ended on or before :before; how many went.
select drop_month_partitions('activity_log', 'at', cast(:before as date)) as dropped
